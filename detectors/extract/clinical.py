"""Clinical formats (HL7 v2, FHIR JSON, C-CDA XML) rendered as "label: value" lines."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from xml.parsers import expat

from .htmltext import html_to_text
from .model import UnscannableContent

# ---------------------------------------------------------------- HL7 v2

# segment -> {field number: label}; fields not listed are still emitted as "SEG-n: value".
_HL7_LABELS: dict[str, dict[int, str]] = {
    "PID": {
        2: "Patient ID",
        3: "MRN",
        4: "Alternate patient ID",
        5: "Patient name",
        6: "Mother's maiden name",
        7: "DOB",
        8: "Sex",
        9: "Patient alias",
        11: "Address",
        13: "Phone (home)",
        14: "Phone (business)",
        18: "Account number",
        19: "SSN",
        20: "Driver's license",
        29: "Date of death",
    },
    "PV1": {
        2: "Patient class",
        3: "Location",
        7: "Attending doctor",
        8: "Referring doctor",
        10: "Hospital service",
        17: "Admitting doctor",
        19: "Visit number",
        44: "Admit date",
        45: "Discharge date",
    },
    "OBX": {
        3: "Observation",
        5: "Result",
        6: "Units",
        7: "Reference range",
        8: "Abnormal flag",
        11: "Result status",
        14: "Observation date",
    },
    "OBR": {3: "Filler order number", 4: "Test", 7: "Observation date", 16: "Ordering provider"},
    "DG1": {3: "Diagnosis", 4: "Diagnosis description", 5: "Diagnosis date", 6: "Diagnosis type"},
    "NK1": {
        2: "Next of kin name",
        3: "Relationship",
        4: "Next of kin address",
        5: "Next of kin phone",
    },
    "IN1": {
        2: "Insurance plan ID",
        3: "Insurance company ID",
        4: "Insurance company",
        16: "Insured name",
        36: "Policy number",
        49: "Insured ID",
    },
    "GT1": {3: "Guarantor name", 5: "Guarantor address", 6: "Guarantor phone", 12: "Guarantor SSN"},
    "AL1": {3: "Allergy", 5: "Allergy reaction"},
    "PR1": {3: "Procedure", 4: "Procedure description", 5: "Procedure date"},
    "RXE": {2: "Medication", 3: "Dose"},
    "RXA": {3: "Administration date", 5: "Medication"},
    "RXO": {1: "Medication"},
    "NTE": {3: "Comment"},
    "MRG": {1: "Prior MRN"},
}
_HL7_DATE_FIELDS = {("PID", 7), ("PID", 29), ("PV1", 44), ("PV1", 45), ("OBX", 14), ("DG1", 5)}
_HL7_NAME_FIELDS = {("PID", 5), ("PID", 6), ("PID", 9), ("NK1", 2), ("IN1", 16), ("GT1", 3)}
_HL7_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})")


def hl7_to_text(text: str) -> str:
    """Render HL7 v2 segments as labelled lines (PID, PV1, OBX, DG1 and more)."""
    lines: list[str] = []
    segments = [s.strip("\x0b\x1c\n ") for s in re.split(r"[\r\n]+", text)]
    field_sep, comp, rep, esc, sub = "|", "^", "~", "\\", "&"
    for segment in segments:
        if len(segment) < 3:
            continue
        if segment.startswith("MSH") and len(segment) >= 8:
            field_sep = segment[3]
            enc = segment[4:8]
            chars = (enc + "^~\\&"[len(enc) :])[:4]
            comp, rep, esc, sub = chars[0], chars[1], chars[2], chars[3]
        name = segment[:3]
        fields = segment.split(field_sep)
        labels = _HL7_LABELS.get(name, {})
        lines.append(f"[{name}]")
        start = 2 if name == "MSH" else 1
        for number in range(start, len(fields)):
            raw = fields[number]
            if not raw.strip():
                continue
            values = []
            for repetition in raw.split(rep):
                components = [
                    _hl7_unescape(c, esc, field_sep, comp, rep, sub) for c in repetition.split(comp)
                ]
                components = [c.replace(sub, " ") for c in components]
                values.append(_hl7_render(name, number, components))
            value = "; ".join(v for v in values if v)
            if not value:
                continue
            label = labels.get(number, f"{name}-{number}")
            lines.append(f"{label}: {value}")
    return "\n".join(lines)


def _hl7_render(segment: str, number: int, components: list[str]) -> str:
    parts = [c.strip() for c in components]
    if (segment, number) in _HL7_NAME_FIELDS and len(parts) >= 2:
        # XPN is family^given^middle^suffix^prefix: say it the way people write it.
        family, given = parts[0], parts[1]
        middle = parts[2] if len(parts) > 2 else ""
        spoken = " ".join(p for p in (given, middle, family) if p)
        return f"{spoken} ({family}, {given})" if family and given else spoken
    if (segment, number) in _HL7_DATE_FIELDS and parts:
        match = _HL7_DATE.match(parts[0])
        if match:
            y, m, d = match.groups()
            return f"{y}-{m}-{d} ({m}/{d}/{y})"
    return " ".join(p for p in parts if p)


def _hl7_unescape(value: str, esc: str, field: str, comp: str, rep: str, sub: str) -> str:
    if esc not in value:
        return value
    table = {"F": field, "S": comp, "R": rep, "T": sub, "E": esc, ".br": "\n"}

    def repl(match: re.Match[str]) -> str:
        code = match.group(1)
        if code in table:
            return table[code]
        if code.startswith("X"):
            try:
                return bytes.fromhex(code[1:]).decode("latin-1")
            except ValueError:
                return match.group(0)
        return ""

    return re.sub(re.escape(esc) + r"([^" + re.escape(esc) + r"]*)" + re.escape(esc), repl, value)


# ---------------------------------------------------------------- FHIR JSON

_MAX_JSON_DEPTH = 64


def json_to_text(text: str) -> str:
    """Render FHIR resources (Patient, Observation, Condition...) or any JSON as labelled lines."""
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise UnscannableContent("corrupt", "invalid JSON") from exc
    lines: list[str] = []
    for resource in _fhir_resources(document, 0):
        lines.extend(_fhir_resource_lines(resource))
    if not lines:
        lines = list(_flatten(document, "", 0))
    return "\n".join(lines)


def _fhir_resources(node: Any, depth: int) -> Iterator[dict[str, Any]]:
    if depth > _MAX_JSON_DEPTH:
        return
    if isinstance(node, dict):
        if isinstance(node.get("resourceType"), str) and node.get("resourceType") != "Bundle":
            yield node
            for key in ("contained",):
                for item in node.get(key) or []:
                    yield from _fhir_resources(item, depth + 1)
            return
        for entry in node.get("entry") or []:
            if isinstance(entry, dict):
                yield from _fhir_resources(entry.get("resource"), depth + 1)
    elif isinstance(node, list):
        for item in node:
            yield from _fhir_resources(item, depth + 1)


def _fhir_resource_lines(res: dict[str, Any]) -> list[str]:
    kind = str(res.get("resourceType"))
    lines = [f"[{kind}]"]
    if kind == "Patient" or kind == "RelatedPerson" or kind == "Practitioner":
        who = "Patient" if kind == "Patient" else kind
        for name in _as_list(res.get("name")):
            lines.append(f"{who} name: {_human_name(name)}")
        if res.get("birthDate"):
            lines.append(f"DOB: {res['birthDate']}")
        if res.get("gender"):
            lines.append(f"Sex: {res['gender']}")
        for ident in _as_list(res.get("identifier")):
            lines.append(f"{_identifier_label(ident)}: {_s(ident.get('value'))}")
        for telecom in _as_list(res.get("telecom")):
            system = _s(telecom.get("system")) or "contact"
            lines.append(f"{system.capitalize()}: {_s(telecom.get('value'))}")
        for address in _as_list(res.get("address")):
            lines.append(f"Address: {_address(address)}")
        for key in ("deceasedDateTime", "multipleBirthInteger"):
            if res.get(key) is not None:
                lines.append(f"{key}: {_s(res[key])}")
        covered = {
            "resourceType",
            "name",
            "birthDate",
            "gender",
            "identifier",
            "telecom",
            "address",
        }
    elif kind == "Observation":
        lines.append(f"Observation: {_concept(res.get('code'))}")
        value = _observation_value(res)
        if value:
            lines.append(f"Result: {value}")
        for component in _as_list(res.get("component")):
            lines.append(
                f"Component: {_concept(component.get('code'))} = {_observation_value(component)}"
            )
        covered = {"resourceType", "code", "component"} | {k for k in res if k.startswith("value")}
    elif kind == "Condition":
        lines.append(f"Diagnosis: {_concept(res.get('code'))}")
        covered = {"resourceType", "code"}
    else:
        covered = {"resourceType"}
    for key, value in res.items():
        if key in covered or key in ("meta", "text", "contained"):
            continue
        lines.extend(_flatten(value, key, 0))
    narrative = res.get("text")
    if isinstance(narrative, dict) and isinstance(narrative.get("div"), str):
        lines.append("Narrative: " + html_to_text(narrative["div"]).replace("\n", " / "))
    return lines


def _flatten(node: Any, path: str, depth: int) -> Iterator[str]:
    if depth > _MAX_JSON_DEPTH:
        return
    if isinstance(node, dict):
        if "reference" in node or "display" in node:
            shown = " ".join(_s(node.get(k)) for k in ("display", "reference") if node.get(k))
            yield f"{path}: {shown}"
            return
        for key, value in node.items():
            yield from _flatten(value, f"{path}.{key}" if path else str(key), depth + 1)
    elif isinstance(node, list):
        for item in node:
            yield from _flatten(item, path, depth + 1)
    elif node is not None and node != "":
        yield f"{path}: {_s(node)}"


def _as_list(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    return []


def _s(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if value is not None else ""


def _human_name(name: dict[str, Any]) -> str:
    if isinstance(name.get("text"), str):
        return name["text"]
    given = [g for g in name.get("given") or [] if isinstance(g, str)]
    family = _s(name.get("family"))
    spoken = " ".join([*given, family]).strip()
    return f"{spoken} ({family}, {' '.join(given)})" if family and given else spoken


def _identifier_label(ident: dict[str, Any]) -> str:
    type_: dict[str, Any] = ident["type"] if isinstance(ident.get("type"), dict) else {}
    codes = {_s(c.get("code")) for c in _as_list(type_.get("coding"))}
    system = _s(ident.get("system")).lower()
    if "MR" in codes:
        return "MRN"
    if "SS" in codes or "ssn" in system or system.endswith("2.16.840.1.113883.4.1"):
        return "SSN"
    if "MB" in codes or "MC" in codes:
        return "Member ID"
    text = _s(type_.get("text"))
    return f"Identifier ({text})" if text else "Identifier"


def _address(address: dict[str, Any]) -> str:
    if isinstance(address.get("text"), str):
        return address["text"]
    lines = [x for x in address.get("line") or [] if isinstance(x, str)]
    rest = [
        _s(address.get(k)) for k in ("city", "state", "postalCode", "country") if address.get(k)
    ]
    return ", ".join([*lines, " ".join(rest)]).strip(", ")


def _concept(concept: Any) -> str:
    if not isinstance(concept, dict):
        return _s(concept)
    shown = []
    if isinstance(concept.get("text"), str):
        shown.append(concept["text"])
    for coding in _as_list(concept.get("coding")):
        code, display = _s(coding.get("code")), _s(coding.get("display"))
        shown.append(" ".join(x for x in (display, f"({code})" if code else "") if x))
    return "; ".join(x for x in shown if x)


def _observation_value(res: dict[str, Any]) -> str:
    quantity = res.get("valueQuantity")
    if isinstance(quantity, dict):
        return " ".join(
            _s(quantity.get(k))
            for k in ("comparator", "value", "unit")
            if quantity.get(k) is not None
        )
    if isinstance(res.get("valueCodeableConcept"), dict):
        return _concept(res["valueCodeableConcept"])
    for key, value in res.items():
        if key.startswith("value") and not isinstance(value, dict | list):
            return _s(value)
    return ""


# ---------------------------------------------------------------- C-CDA and other XML

_CDA_BLOCKS = frozenset(
    {"section", "title", "paragraph", "tr", "item", "list", "table", "entry", "observation",
     "patient", "patientRole", "name", "addr", "act", "substanceAdministration", "encounter",
     "procedure", "br", "caption", "thead", "tbody", "text", "component"}
)  # fmt: skip
_CDA_CELLS = frozenset({"td", "th"})
_CDA_CONTEXT = {
    ("patient", "name"): "Patient name",
    ("patientRole", "addr"): "Patient address",
    ("guardian", "name"): "Guardian name",
    ("assignedPerson", "name"): "Provider name",
    ("section", "title"): "Section",
    ("ClinicalDocument", "title"): "Document",
}
_CDA_ATTR_LABELS = {
    "birthTime": "DOB",
    "effectiveTime": "Date",
    "low": "From",
    "high": "To",
    "administrativeGenderCode": "Sex",
    "telecom": "Telecom",
}


class _CdaCollector:
    def __init__(self) -> None:
        self.out: list[str] = []
        self.stack: list[str] = []

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        local = tag.rsplit("}", 1)[-1].rsplit(" ", 1)[-1]
        parent = self.stack[-1] if self.stack else ""
        self.stack.append(local)
        self._separate(local)
        label = _CDA_CONTEXT.get((parent, local))
        if label:
            self.out.append(f"{label}: ")
        self._attributes(local, parent, attrs)

    def _attributes(self, local: str, parent: str, attrs: dict[str, str]) -> None:
        if not attrs:
            return
        value = attrs.get("value")
        if local == "id" and attrs.get("extension"):
            owner = "Patient ID" if parent == "patientRole" else f"{parent or 'Document'} ID"
            self.out.append(f"\n{owner}: {attrs['extension']}\n")
        elif local in ("code", "translation") and (attrs.get("code") or attrs.get("displayName")):
            shown = " ".join(
                x
                for x in (
                    attrs.get("displayName", ""),
                    f"({attrs['code']})" if attrs.get("code") else "",
                )
                if x
            )
            self.out.append(f"\nCode: {shown}\n")
        elif local == "value" and (value or attrs.get("code") or attrs.get("displayName")):
            parts = [
                value or "",
                attrs.get("unit", ""),
                attrs.get("displayName", ""),
                attrs.get("code", ""),
            ]
            self.out.append("\nValue: " + " ".join(p for p in parts if p) + "\n")
        elif local in _CDA_ATTR_LABELS and (value or attrs.get("code")):
            shown = value or attrs.get("displayName") or attrs.get("code", "")
            label = (
                "DOB" if local == "birthTime" and parent == "patient" else _CDA_ATTR_LABELS[local]
            )
            self.out.append(f"\n{label}: {_cda_time(shown)}\n")

    def _separate(self, local: str) -> None:
        """Open or close an element: a line break for blocks, a tab for cells, else a space."""
        self.out.append("\n" if local in _CDA_BLOCKS else "\t" if local in _CDA_CELLS else " ")

    def end(self, tag: str) -> None:
        local = self.stack.pop() if self.stack else ""
        self._separate(local)

    def data(self, text: str) -> None:
        collapsed = re.sub(r"\s+", " ", text)
        if collapsed.strip():
            self.out.append(collapsed)


def _cda_time(value: str) -> str:
    match = re.fullmatch(r"(\d{4})(\d{2})(\d{2})\d*([+-]\d{4})?", value)
    if match:
        y, m, d = match.group(1), match.group(2), match.group(3)
        return f"{y}-{m}-{d} ({m}/{d}/{y})"
    return value


_FORBIDDEN_HANDLERS = (
    "StartDoctypeDeclHandler",
    "EntityDeclHandler",
    "UnparsedEntityDeclHandler",
    "ExternalEntityRefHandler",
)


def _forbid(*_args: object) -> None:
    raise UnscannableContent("unsafe-xml", "XML with a DTD or entity declarations is refused")


def xml_to_text(data: bytes) -> str:
    """Render C-CDA (or any XML) as text with element context; DTDs and entities are refused."""
    collector = _CdaCollector()
    parser = expat.ParserCreate(namespace_separator=" ")
    for handler in _FORBIDDEN_HANDLERS:
        setattr(parser, handler, _forbid)
    parser.StartElementHandler = collector.start
    parser.EndElementHandler = collector.end
    parser.CharacterDataHandler = collector.data
    parser.buffer_text = True
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise UnscannableContent("corrupt", f"XML error at line {exc.lineno}") from exc
    lines = []
    for line in "".join(collector.out).split("\n"):
        cells = [" ".join(c.split()) for c in line.split("\t")]
        joined = "\t".join(c for c in cells if c)
        if joined:
            lines.append(joined)
    return "\n".join(lines)
