"""The patient roster: CSV import, bad rows, matching variants, and no clear identifiers at rest."""

from __future__ import annotations

import hashlib
import hmac
import re
import sqlite3
import stat
import threading
from contextlib import closing
from datetime import date
from pathlib import Path

import pytest

from detectors.masking import mask_address
from gateway.patients import PatientRoster
from gateway.patients.errors import RosterImportError, RosterKeyError, RosterNotFound
from gateway.patients.normalize import normalize_mrn
from gateway.patients.roster import RosterMatches
from tests.support.patients import ROSTER_CSV, stored_cells, write_csv
from tests.support.tables import table


def test_import_adds_entries_and_generates_stable_ids(
    roster: PatientRoster, tmp_path: Path
) -> None:
    """Rows without a roster_id get R-NNNNNN ids, and a re-import keeps them."""
    text = "name,dob,mrn\nJane Doe,1980-01-02,42\nRoe, Richard,,43\n".replace(
        "Roe, Richard", '"Roe, Richard"'
    )
    first = roster.import_csv(write_csv(tmp_path, text))
    assert first.ok and first.applied
    assert first.added == ("R-000001", "R-000002")
    again = roster.import_csv(write_csv(tmp_path, text))
    assert again.added == ()
    assert again.updated == ("R-000001", "R-000002")
    assert roster.count() == 2
    assert roster.by_mrn("42") == "R-000001"
    assert roster.by_mrn("43") == "R-000002"


BAD_CSV = (
    "roster_id,name,dob,mrn,email\n"  # 1
    "R-1,Good Person,1970-01-01,1,good@example.com\n"  # 2
    "R-2,,1970-01-01,2,\n"  # 3: missing name
    "R-3,Bad Date,1970-02-30,3,\n"  # 4: not a calendar date
    "R-4,Two Digit,4/12/61,4,\n"  # 5: two-digit year
    'R-5,"Multi\nLine, Name",1970-01-01,5,\n'  # 6-7: a quoted field spans two lines
    "R-6,Bad Mail,1970-01-01,6,not-an-address\n"  # 8
    "R-1,Dup Id,1970-01-01,7,\n"  # 9: duplicate roster_id
    "R-8,Dup Mrn,1970-01-01,0001,\n"  # 10: MRN 1 again (zero padding)
    "R-9,Short Row\n"  # 11: too few fields
    "R-10,Another Good,12/31/1999,10,\n"  # 12
)


def test_bad_rows_are_reported_by_line_and_nothing_is_imported(
    roster: PatientRoster, tmp_path: Path
) -> None:
    """Every bad row is named by its first physical line and field, and no row goes in."""
    report = roster.import_csv(write_csv(tmp_path, BAD_CSV))
    assert not report.ok and not report.applied
    assert [(e.line, e.field) for e in report.errors] == [
        (3, "name"),
        (4, "dob"),
        (5, "dob"),
        (8, "email"),
        (9, "roster_id"),
        (10, "mrn"),
        (11, "row"),
    ]
    assert roster.count() == 0
    assert roster.by_mrn("1") is None


def test_error_messages_carry_no_values(roster: PatientRoster, tmp_path: Path) -> None:
    """Error text names the field and the problem, never the rejected value."""
    report = roster.import_csv(write_csv(tmp_path, BAD_CSV))
    text = " ".join(str(e) for e in report.errors)
    for value in ("not-an-address", "1970-02-30", "4/12/61", "Bad Mail"):
        assert value not in text


def test_skip_bad_imports_the_good_rows(roster: PatientRoster, tmp_path: Path) -> None:
    """With skip_bad the good rows (and the first of two duplicate ids) go in."""
    report = roster.import_csv(write_csv(tmp_path, BAD_CSV), skip_bad=True)
    assert report.applied
    assert report.bad_lines == (3, 4, 5, 8, 9, 10, 11)
    assert set(report.added) == {"R-1", "R-5", "R-10"}
    assert roster.count() == 3
    assert roster.by_email("good@example.com") == "R-1"
    assert roster.by_name_dob("Another Good", "1999-12-31") == "R-10"


def test_unknown_column_is_a_file_error(roster: PatientRoster, tmp_path: Path) -> None:
    """A column the roster does not know is refused, not ignored."""
    with pytest.raises(RosterImportError, match="ssn"):
        roster.import_csv(write_csv(tmp_path, "name,dob,ssn\nJane Doe,1980-01-02,x\n"))


def test_first_and_last_name_columns(roster: PatientRoster, tmp_path: Path) -> None:
    """first_name + last_name columns work like one name column."""
    report = roster.import_csv(
        write_csv(tmp_path, "first_name,last_name,dob\nMary Ann,De La Cruz,1990-05-06\n")
    )
    assert report.ok
    assert roster.by_name_dob("Cruz, Mary", "5/6/1990") == report.added[0]


@pytest.mark.parametrize(
    ("name", "dob", "expected"),
    [
        ("John Smith", "1961-04-12", "R-100"),
        ("SMITH, JOHN", "04/12/1961", "R-100"),
        ("smith, john q.", "4/12/1961", "R-100"),
        ("Dr. John Q. Smith Jr.", "1961-04-12", "R-100"),
        ("John Quincy Smith", date(1961, 4, 12), "R-100"),
        ("Jose Garcia", "1961-04-12", "R-101"),
        ("NÚÑEZ GARCÍA, José", "4/12/1961", "R-101"),
        ("Jose Nunez-Garcia", "1961-04-12", "R-101"),
        # negatives
        ("John Smith", "1961-04-13", None),
        ("Jon Smith", "1961-04-12", None),
        ("John Smith", "1961/04/12", None),
        ("John Smith", "4/12/61", None),
        ("John Smith", "12.4.1961", None),
        ("Smith", "1961-04-12", None),
        ("Quincy Smith", "1961-04-12", None),
    ],
)
def test_name_and_dob_matching(
    roster: PatientRoster, tmp_path: Path, name: str, dob: str | date, expected: str | None
) -> None:
    """Name order, case, accents, titles and middle names do not matter; the DOB format is strict."""
    assert roster.import_csv(write_csv(tmp_path, ROSTER_CSV)).ok
    assert roster.by_name_dob(name, dob) == expected


@pytest.mark.parametrize(
    ("mrn", "expected"),
    table("roster.mrn_matching"),
)
def test_mrn_matching(
    roster: PatientRoster, tmp_path: Path, mrn: str, expected: str | None
) -> None:
    """MRN labels, separators and zero padding are ignored; other digits are not."""
    assert roster.import_csv(write_csv(tmp_path, ROSTER_CSV)).ok
    assert roster.by_mrn(mrn) == expected


def test_batched_match_finds_what_single_lookups_find(
    roster: PatientRoster, tmp_path: Path
) -> None:
    """`match` asks for many MRNs and name/DOB pairs at once and keeps only single owners."""
    twins = "R-200,Kim Park,1990-01-01,,\nR-201,Kim Park,1990-01-01,,\n"
    assert roster.import_csv(write_csv(tmp_path, ROSTER_CSV + twins)).ok
    found = roster.match(
        ["00012345", "MRN: 0001-2345", "A-77", "123456", "", "A077"],
        [
            ("John Smith", "1961-04-12"),
            ("NÚÑEZ GARCÍA, José", "4/12/1961"),
            ("John Smith", "1961/04/12"),  # not a supported date format
            ("Jon Smith", "1961-04-12"),
            ("Kim Park", "1990-01-01"),  # two entries: no single patient
            ("Ana Lee", "2015-09-03"),
        ],
        ["JOHN.SMITH@gmail.com", "lee.family@example.net", "stranger@example.com", "not mail"],
    )
    assert found.mrns == {"00012345": "R-100", "MRN: 0001-2345": "R-100", "A-77": "R-101"}
    assert found.name_dobs == {
        ("John Smith", "1961-04-12"): "R-100",
        ("NÚÑEZ GARCÍA, José", "4/12/1961"): "R-101",
        ("Ana Lee", "2015-09-03"): "R-102",
    }
    # a shared family mailbox names no single patient
    assert found.emails == {"JOHN.SMITH@gmail.com": "R-100"}
    assert roster.match([], []) == RosterMatches()


def test_email_lookups_and_shared_mailboxes(roster: PatientRoster, tmp_path: Path) -> None:
    """Addresses match case-insensitively; a shared mailbox names no single patient."""
    assert roster.import_csv(write_csv(tmp_path, ROSTER_CSV)).ok
    assert roster.by_email("JOHN.SMITH@gmail.com") == "R-100"
    assert roster.by_email("<jsmith@WORK.example>") == "R-100"
    assert roster.by_email("lee.family@example.net") is None
    assert roster.ids_by_email("lee.family@example.net") == ("R-102", "R-103")
    assert roster.is_address_of("R-103", "Lee.Family@example.net")
    assert not roster.is_address_of("R-100", "jose@example.org")
    assert roster.by_email("stranger@example.com") is None
    assert roster.by_email("not an address") is None


def test_dob_second_factor(roster: PatientRoster, tmp_path: Path) -> None:
    """verify_dob accepts either date format and refuses a wrong or missing date of birth."""
    text = ROSTER_CSV + "R-104,No Birthday,,,nb@example.com\n"
    assert roster.import_csv(write_csv(tmp_path, text)).ok
    assert roster.has_dob("R-100") and not roster.has_dob("R-104")
    assert not roster.has_dob("R-999")
    assert roster.verify_dob("R-100", "04/12/1961")
    assert roster.verify_dob("R-100", date(1961, 4, 12))
    assert not roster.verify_dob("R-100", "1961-04-13")
    assert not roster.verify_dob("R-101", "1961-04-13")
    assert not roster.verify_dob("R-104", "1961-04-12")
    assert not roster.verify_dob("R-100", "garbage")


def test_reimport_replaces_an_entrys_identifiers(roster: PatientRoster, tmp_path: Path) -> None:
    """A row for an existing roster_id replaces its addresses; other entries stay."""
    assert roster.import_csv(write_csv(tmp_path, ROSTER_CSV)).ok
    update = "roster_id,name,dob,mrn,email\nR-100,John Smith,1961-04-12,12345,new@example.com\n"
    report = roster.import_csv(write_csv(tmp_path, update, "update.csv"))
    assert report.updated == ("R-100",) and report.added == ()
    assert roster.by_email("new@example.com") == "R-100"
    assert roster.by_email("john.smith@gmail.com") is None
    assert roster.by_email("jose@example.org") == "R-101"
    assert roster.count() == 4


def test_row_without_id_updates_the_entry_with_its_mrn(
    roster: PatientRoster, tmp_path: Path
) -> None:
    """A row without a roster_id whose MRN is known updates that entry instead of adding one."""
    assert roster.import_csv(write_csv(tmp_path, ROSTER_CSV)).ok
    report = roster.import_csv(write_csv(tmp_path, "name,mrn\nJose Garcia,A77\n", "u.csv"))
    assert report.updated == ("R-101",) and report.added == ()


def test_mrn_of_another_entry_is_a_bad_row(roster: PatientRoster, tmp_path: Path) -> None:
    """An MRN already held by a different entry is refused with the row's line number."""
    assert roster.import_csv(write_csv(tmp_path, ROSTER_CSV)).ok
    text = "roster_id,name,mrn\nR-200,New Person,\nR-201,Other Person,0012345\n"
    report = roster.import_csv(write_csv(tmp_path, text, "clash.csv"))
    assert [(e.line, e.field) for e in report.errors] == [(3, "mrn")]
    assert not report.applied and roster.count() == 4


def test_show_counts_without_identifiers(roster: PatientRoster, tmp_path: Path) -> None:
    """An entry reports counts and has_dob; an unknown id raises RosterNotFound."""
    assert roster.import_csv(write_csv(tmp_path, ROSTER_CSV)).ok
    entry = roster.entry("R-100")
    assert (entry.has_dob, entry.names, entry.mrns, entry.emails) == (True, 1, 1, 2)
    with pytest.raises(RosterNotFound):
        roster.entry("R-999")


def test_no_clear_identifiers_at_rest(roster: PatientRoster, tmp_path: Path) -> None:
    """No stored column holds a name, DOB, MRN or address, in any normalised form."""
    assert roster.import_csv(write_csv(tmp_path, ROSTER_CSV)).ok
    cells = stored_cells(roster.engine, "patient_roster", "patient_identifiers")
    hashes = [c for c in cells if re.fullmatch(r"[0-9a-f]{64}", c)]
    assert len(hashes) == 4 + 4 + 4 + 5  # dob per entry; name, mrn per entry; five addresses
    joined = " ".join(c for c in cells if c not in hashes)
    for needle in ("smith", "john", "nunez", "núñez", "1961", "12345", "a77", "gmail", "example"):
        assert needle not in joined


def test_stored_hashes_are_hmac_sha256_of_kind_and_normalised_value(
    roster: PatientRoster, tmp_path: Path
) -> None:
    """The stored forms, worked out here with hmac alone: a name with its date of birth is
    HMAC-SHA256(key, "name" NUL "first|last|YYYY-MM-DD"), an MRN "mrn" NUL its digits. Rosters
    already stored must keep matching whatever the matching code does to go faster."""
    assert roster.import_csv(write_csv(tmp_path, ROSTER_CSV)).ok
    key = roster.keys.ring().active_key
    cells = stored_cells(roster.engine, "patient_identifiers")
    name = hmac.new(key, b"name\x00john|smith|1961-04-12", hashlib.sha256).hexdigest()
    mrn = hmac.new(key, b"mrn\x0012345", hashlib.sha256).hexdigest()
    assert name in cells
    assert mrn in cells
    found = roster.match(["00012345"], [("John Smith", "1961-04-12")])
    assert found.mrns == {"00012345": "R-100"}
    assert found.name_dobs == {("John Smith", "1961-04-12"): "R-100"}


def test_key_file_is_private_and_required_to_match(
    patients_url: str, roster_key: Path, tmp_path: Path
) -> None:
    """The key is created 0600; the same database opened with another key matches nothing."""
    first = PatientRoster(patients_url, roster_key)
    try:
        assert first.import_csv(write_csv(tmp_path, ROSTER_CSV)).ok
    finally:
        first.close()
    assert stat.S_IMODE(roster_key.stat().st_mode) == 0o600
    other = PatientRoster(patients_url, tmp_path / "other" / "roster.key")
    try:
        assert other.count() == 4
        assert other.by_mrn("12345") is None
        assert other.by_email("jose@example.org") is None
    finally:
        other.close()


def test_normalisers_documented_forms() -> None:
    """MRN padding/labels and masked addresses follow the documented rules."""
    assert normalize_mrn("MRN# 000-123") == "123"
    assert normalize_mrn("0000") == "0"
    assert mask_address("Maria.Lopez@Gmail.com") == "m***@gmail.com"


def test_a_tables_pairs_read_the_key_ring_once_and_each_name_once(
    roster: PatientRoster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A table of 30 names and 20 dates of birth pairs up 600 ways in one part. The match reads the
    key ring once and normalises each distinct name once; per pair it was a stat of the key
    file, a name normalisation and a fresh HMAC key each, most of the relay's roster cost."""
    from gateway.patients import roster as roster_module
    from gateway.storage.keyfiles import KeyFile

    assert roster.import_csv(write_csv(tmp_path, ROSTER_CSV)).ok
    names = [f"Person{i} Surname{i}" for i in range(29)] + ["John Smith"]
    dobs = [f"19{50 + i}-01-0{1 + i % 9}" for i in range(19)] + ["1961-04-12"]
    reads: list[int] = []
    keyed: list[str] = []
    real_ring, real_key = KeyFile.ring, roster_module.name_key
    monkeypatch.setattr(KeyFile, "ring", lambda self: reads.append(1) or real_ring(self))
    monkeypatch.setattr(
        roster_module, "name_key", lambda name: keyed.append(name) or real_key(name)
    )
    found = roster.match([], [(n, d) for n in names for d in dobs])
    assert found.name_dobs == {("John Smith", "1961-04-12"): "R-100"}
    assert len(reads) == 1
    assert sorted(keyed) == sorted(names)


# ---- the reading roster of a detection process (prepare=False) ------------------------------
MATCH_ARGS = (
    ["00012345", "A-77", "123456"],
    [("John Smith", "1961-04-12"), ("Ana Lee", "2015-09-03"), ("Jon Smith", "1961-04-12")],
    ["JOHN.SMITH@gmail.com", "lee.family@example.net", "stranger@example.com"],
)
MATCH_FOUND = RosterMatches(
    {"00012345": "R-100", "A-77": "R-101"},
    {("John Smith", "1961-04-12"): "R-100", ("Ana Lee", "2015-09-03"): "R-102"},
    {"JOHN.SMITH@gmail.com": "R-100"},
)


def test_a_reading_roster_matches_as_the_roster_does_and_survives_a_lost_connection(
    roster: PatientRoster, patients_url: str, roster_key: Path, tmp_path: Path
) -> None:
    """The detection processes' roster (its own connection, its own query) finds what the
    roster finds; a connection lost between messages is replaced, not fatal."""
    assert roster.import_csv(write_csv(tmp_path, ROSTER_CSV)).ok
    reader = PatientRoster(patients_url, roster_key, prepare=False)
    try:
        assert reader.match(*MATCH_ARGS) == MATCH_FOUND
        assert roster.match(*MATCH_ARGS) == MATCH_FOUND
        lookups = reader._lookups
        assert lookups is not None and lookups._conn is not None
        lookups._conn.dbapi_connection.close()  # type: ignore[union-attr]
        assert reader.match(*MATCH_ARGS) == MATCH_FOUND
        assert reader.match([], [], ["stranger@example.com"]) == RosterMatches()
    finally:
        reader.close()


def test_a_reading_roster_neither_creates_a_key_nor_waits_for_a_writer(
    tmp_path: Path, roster_key: Path
) -> None:
    """Without its key file a lookup fails and no key appears; while another process holds
    the SQLite write lock (an import), lookups still answer."""
    url = f"sqlite:///{tmp_path / 'patients.db'}"
    with closing(PatientRoster(url, roster_key)) as writer:
        assert writer.import_csv(write_csv(tmp_path, ROSTER_CSV)).ok
    missing = tmp_path / "nowhere" / "roster.key"
    with closing(PatientRoster(url, missing, prepare=False)) as keyless:
        with pytest.raises(RosterKeyError):
            keyless.match(["00012345"], [])
    assert not missing.parent.exists()
    lock = sqlite3.connect(tmp_path / "patients.db", isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")
    answers: list[object] = []
    reader = PatientRoster(url, roster_key, prepare=False)
    try:
        ask = threading.Thread(target=lambda: answers.append(reader.match(*MATCH_ARGS)))
        ask.start()
        ask.join(10)  # the busy timeout is 30 s: a lookup that waits for the lock is still here
        assert answers == [MATCH_FOUND], "a lookup waited for the write lock"
    finally:
        lock.execute("ROLLBACK")
        lock.close()
        ask.join(60)
        reader.close()
