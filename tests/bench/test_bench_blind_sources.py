"""The blind template sources f and g: deterministic, one label per family, apart from each other
and from d and e."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import defaultdict
from email import message_from_bytes
from email.policy import default
from pathlib import Path
from types import ModuleType

import pytest

from bench.corpus import (
    unseen,
    unseen_e,
    unseen_f,
    unseen_g,
    unseen_h,
    unseen_i,
    unseen_j,
    unseen_k,
    unseen_l,
    unseen_m,
    unseen_n,
    unseen_o,
    unseen_p,
    unseen_q,
    unseen_r,
    unseen_s,
)

# The families written as clean (hard negatives); every other family holds one patient's PHI.
CLEAN = {
    # drugs, conditions in general, staff and group members' names, fictional teaching cases
    "templates-f": {
        "ppg_meeting_minutes", "opening_hours_change", "vaccine_fridge_excursion",
        "inspection_prep", "teaching_case_cpd", "public_health_campaign",
        "software_licence_renewal",
    },
    # a drug safety alert, aggregate survey figures, staff names on a certificate, a locum's own
    # GMC and bank details
    "templates-g": {
        "drug_safety_alert", "patient_survey_results", "cpd_certificate", "locum_invoice",
        "access_card_notice", "referral_pathway_update", "staff_fundraiser",
    },
    # a payer's fee schedule, a training reminder with department rates, a courier's route, a
    # job offer to a named applicant, aggregate quality measures, holiday hours and on-call names
    "templates-h": {
        "payer_fee_schedule_update", "hipaa_training_reminder", "courier_pickup_change",
        "job_offer_letter", "quality_measure_dashboard", "holiday_schedule",
    },
    # a hospital's bed numbers, a blank audit form, a doctor's indemnity renewal and travel
    # booking, a cleaners' roster with the premises' address, an audiometer's calibration
    "templates-i": {
        "bed_capacity_bulletin", "clinical_audit_template", "indemnity_renewal",
        "conference_travel_booking", "cleaning_roster", "audiometer_calibration_cert",
    },
    # a pet's vaccines and its owner's address, a study advert, an IRB agenda, a Spanish
    # newsletter, a billing release note with dummy rows, a benefits notice, aggregate results
    "templates-j": {
        "vet_vaccine_reminder", "trial_recruitment_ad", "irb_agenda", "spanish_newsletter",
        "billing_release_note", "payroll_benefits_notice", "conference_abstract",
    },
    # interface-engine stats and downtime, EDI 999/TA1 control numbers, a developer newsletter
    # with placeholder FHIR/HL7 examples, the practice's own NPI/TIN, a field-name mapping spec,
    # EHR release notes, aggregate denials, a disk alert and a DICOM conformance excerpt
    "templates-k": {
        "engine_heartbeat", "edi_999_ack", "fhir_dev_newsletter", "clearinghouse_enrollment",
        "hl7_mapping_spec", "ehr_release_notes", "denial_statistics", "server_monitor_alert",
        "dicom_conformance",
    },
    # the same containers without patients: a staff meeting invite, a supplier's vCard, a
    # forwarded shortages bulletin, zipped policies, HTML flu-clinic sessions, an XLSX stock
    # list, a signed purchase order and DOCX meeting minutes naming staff only
    "templates-l": {
        "staff_rota_ics", "supplier_vcard", "forwarded_bulletin_rfc822", "zipped_policy_docs",
        "html_flu_clinic_sessions", "xlsx_stock_list", "signed_purchase_order",
        "docx_meeting_minutes",
    },
    # the same languages without patients: a rota, a consumables invoice, a CME evening with its
    # speakers, a pharma rep's visit, a holiday closure, IT maintenance, a job advert, a flu
    # bulletin, a congress invitation, a cleaning contract and an equipment quotation
    "templates-m": {
        "de_dienstplan", "es_factura_suministros", "fr_formation_dpc", "it_informatore_farmaco",
        "nl_vakantiesluiting", "pl_prace_serwisowe", "sv_platsannons", "pt_boletim_gripe",
        "tr_kongre_davet", "at_reinigungsvertrag", "ja_kiki_mitsumori",
    },
    # the same informal and sensitive-care settings without patients: a potluck thread, a shift
    # swap, a doctor running late, a consultation group's de-identified vignettes, MAT aggregate
    # figures, a suicide-prevention training, a contraceptive rep's visit, a support-group flyer
    # and a password reset
    "templates-n": {
        "potluck_thread", "shift_swap", "running_late", "consult_group_agenda",
        "mat_monthly_stats", "suicide_prevention_training", "pharma_rep_contraceptive",
        "support_group_flyer", "it_password_reset",
    },
    # the same practices without patients: a supply order, a promotion, a fee schedule, a CE
    # course, a service ticket, a job post, a credentialing letter, a KPI report and a release
    # note with placeholder patients
    "templates-o": {
        "dental_supply_order", "promo_newsletter", "fee_schedule", "ce_course_invite",
        "equipment_service_ticket", "job_posting", "credentialing_letter", "kpi_monthly_report",
        "pms_release_note",
    },
    # population health without members: scorecards, a newsletter, a measure specification
    # with placeholder rows, a huddle agenda of staff, a device notice, a webinar, shared
    # savings, a roster and a de-identified case
    "templates-p": {
        "quality_scorecard", "aco_newsletter", "measure_spec_update", "care_team_huddle_agenda",
        "rpm_vendor_notice", "hcc_webinar_invite", "shared_savings_summary", "staffing_roster",
        "deidentified_case_study",
    },
    # the same desks without patients: a printer ticket, a vendor case with a placeholder
    # record, training, a newsletter, open enrolment, aggregate productivity, a work order, a
    # phishing lure with merge fields and an invoice
    "templates-q": {
        "printer_ticket", "vendor_case_config", "compliance_training_reminder",
        "service_launch_newsletter", "open_enrollment_notice", "billing_productivity_report",
        "facilities_work_order", "phishing_awareness", "software_invoice",
    },
    # laboratories, imaging and pharmacy without patients: a test menu, a courier route, a lot
    # recall, accreditation, aggregate turnaround, downtime, a formulary newsletter, training
    # and an invoice
    "templates-r": {
        "test_menu_update", "courier_route_change", "lot_recall_notice", "accreditation_notice",
        "tat_aggregate_report", "equipment_downtime", "formulary_newsletter",
        "radiation_safety_training", "vendor_invoice",
    },
    # schools, camps and child care without a child: requirements, a newsletter, hours, a
    # car-seat event, a concussion policy, a camp policy, an inspection, a webinar and an order
    "templates-s": {
        "district_vaccine_requirements", "pediatric_newsletter", "back_to_school_hours",
        "car_seat_event", "concussion_policy_memo", "camp_health_policy",
        "childcare_licensing_inspection", "parent_webinar_invite", "vaccine_supply_order",
    },
}  # fmt: skip


@pytest.mark.parametrize(
    ("module", "source"),
    [
        (unseen_f, "templates-f"),
        (unseen_g, "templates-g"),
        (unseen_h, "templates-h"),
        (unseen_i, "templates-i"),
        (unseen_j, "templates-j"),
        (unseen_k, "templates-k"),
        (unseen_l, "templates-l"),
        (unseen_m, "templates-m"),
        (unseen_n, "templates-n"),
        (unseen_o, "templates-o"),
        (unseen_p, "templates-p"),
        (unseen_q, "templates-q"),
        (unseen_r, "templates-r"),
        (unseen_s, "templates-s"),
    ],
    ids=["f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q", "r", "s"],
)
def test_source_is_deterministic_and_each_family_has_one_label(
    tmp_path: Path, module: ModuleType, source: str
) -> None:
    """Same seed, same bytes; another seed, other bytes; a family is wholly PHI or wholly clean."""
    clean = CLEAN[source]
    rows = module.build(tmp_path / "a", per_family=3, seed=5)
    again = module.build(tmp_path / "b", per_family=3, seed=5)
    other = module.build(tmp_path / "c", per_family=3, seed=6)
    assert {str(r["source"]) for r in rows} == {source}
    labels: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        labels[str(r["category"])].add(str(r["label"]))
    assert set(labels) == set(module.FAMILIES)
    assert {fam for fam, lab in labels.items() if lab == {"clean"}} == clean
    assert {fam for fam, lab in labels.items() if lab == {"phi"}} == set(labels) - clean
    assert len(labels) - len(clean) >= 10 and len(clean) >= 6
    same = [
        (tmp_path / "a" / str(r["file"])).read_bytes()
        == (tmp_path / "b" / str(r2["file"])).read_bytes()
        for r, r2 in zip(rows, again, strict=True)
    ]
    assert all(same)
    changed = [
        (tmp_path / "a" / str(r["file"])).read_bytes()
        != (tmp_path / "c" / str(r2["file"])).read_bytes()
        for r, r2 in zip(rows, other, strict=True)
    ]
    assert sum(changed) > len(rows) // 2


def test_sources_name_no_file_or_message_id_of_each_other(tmp_path: Path) -> None:
    """Written into one folder, d, e, f and g overwrite nothing of each other's and share no ID."""
    ids: list[str] = []
    files = 0
    for module in (
        unseen,
        unseen_e,
        unseen_f,
        unseen_g,
        unseen_h,
        unseen_i,
        unseen_j,
        unseen_k,
        unseen_l,
        unseen_m,
        unseen_n,
        unseen_o,
        unseen_p,
        unseen_q,
        unseen_r,
        unseen_s,
    ):
        rows = module.build(tmp_path, per_family=1, seed=7)
        files += len(rows)
        for r in rows:
            msg = message_from_bytes((tmp_path / str(r["file"])).read_bytes(), policy=default)
            ids.append(str(msg["Message-ID"]))
    assert len(list(tmp_path.glob("*.eml"))) == files
    assert len(set(ids)) == files


def test_a_seeded_faker_draws_the_same_italian_cities_under_any_hash_seed() -> None:
    """Faker's it_IT cities come from a set; bench.corpus sorts them, so templates-g and
    templates-j write the same bytes in every process (they did not before)."""
    code = (
        "import bench.corpus\n"
        "from faker import Faker\n"
        "f = Faker('it_IT'); f.seed_instance(3)\n"
        "print([f.city() for _ in range(20)])\n"
    )
    root = Path(__file__).resolve().parents[2]
    drawn = {
        subprocess.run(
            [sys.executable, "-c", code],
            cwd=root,
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(drawn) == 1
