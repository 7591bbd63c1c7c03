"""Attachments for the extraction tests: a message with one attachment, text and scanned PDFs,
PNG text, ZIP archives, and sample HL7 v2 and C-CDA documents."""

from __future__ import annotations

import io
import zipfile
import zlib
from email import encoders
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

from PIL import Image, ImageDraw, ImageFont

from bench.pdf import build_pdf, stream


def with_attachment(data: bytes, filename: str, mime: str = "application/octet-stream") -> bytes:
    """A message with a short cover note and one base64 attachment."""
    outer = MIMEMultipart()
    outer["Subject"] = "attached"
    outer.attach(MIMEText("see attached"))
    maintype, subtype = mime.split("/")
    part = MIMEBase(maintype, subtype)
    part.set_payload(data)
    encoders.encode_base64(part)
    part.add_header("Content-Disposition", "attachment", filename=filename)
    outer.attach(part)
    return outer.as_bytes()


def text_pdf(lines: list[str]) -> bytes:
    """A one-page PDF with Helvetica text lines."""
    content = b"BT /F1 12 Tf 72 720 Td 14 TL "
    for line in lines:
        escaped = (
            line.encode("latin-1")
            .replace(b"\\", b"\\\\")
            .replace(b"(", b"\\(")
            .replace(b")", b"\\)")
        )
        content += b"(" + escaped + b") Tj T* "
    content += b"ET"
    return build_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792]"
            b" /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            stream(b"", content),
        ]
    )


def render_text(lines: list[str]) -> tuple[bytes, int, int]:
    """Grayscale pixels (8 bits, row-major) of black text on white, with the size."""
    font = ImageFont.load_default(size=36)
    width, height = 1100, 70 * len(lines) + 60
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((30, 30 + 70 * i), line, font=font, fill=0)
    return image.tobytes(), width, height


def png_of(lines: list[str]) -> bytes:
    """A PNG image of black text lines on white."""
    pixels, width, height = render_text(lines)
    out = io.BytesIO()
    Image.frombytes("L", (width, height), pixels).save(out, "PNG")
    return out.getvalue()


def scanned_pdf(lines: list[str], encoding: str = "flate-gray") -> bytes:
    """A one-page PDF holding only an image of the text (a fax scan), encoded as asked."""
    pixels, width, height = render_text(lines)
    image = Image.frombytes("L", (width, height), pixels)
    if encoding == "jpeg":
        out = io.BytesIO()
        image.save(out, "JPEG", quality=90)
        entries, data = (
            b"/ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode",
            out.getvalue(),
        )
    elif encoding == "1bit":
        # PIL's mode "1" and PDF's 1-bit DeviceGray agree: a set bit is white.
        bits = image.point(lambda v: 255 if v > 128 else 0).convert("1").tobytes()
        entries, data = (
            b"/ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /FlateDecode",
            zlib.compress(bits),
        )
    elif encoding == "rgb":
        rgb = image.convert("RGB").tobytes()
        entries, data = (
            b"/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode",
            zlib.compress(rgb),
        )
    else:
        entries, data = (
            b"/ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode",
            zlib.compress(pixels),
        )
    return build_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792]"
            b" /Resources << /XObject << /Im1 4 0 R >> >> /Contents 5 0 R >>",
            stream(
                b"/Type /XObject /Subtype /Image /Width %d /Height %d " % (width, height) + entries,
                data,
            ),
            stream(b"", b"q 612 0 0 200 0 500 cm /Im1 Do Q"),
        ]
    )


def zip_of(members: dict[str, bytes]) -> bytes:
    """A deflated ZIP archive of the members."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


HL7 = (
    "MSH|^~\\&|LAB|CLINIC|||202501011200||ORU^R01|123|P|2.5\r"
    "PID|1||E1234567^^^CLINIC^MR||Roe^Jane^Q||19850314|F|||12 Main St^^Springfield^IL^62701"
    "||(217)555-0101|||||ACCT99|123-45-6789\r"
    "PV1|1|O|CLINIC^101||||1234^Welby^Marcus\r"
    "OBX|1|NM|2951-2^Sodium^LN||140|mmol/L|135-145|N|||F|||20250101\r"
    "DG1|1||E11.9^Type 2 diabetes mellitus^I10||20250101\r"
)

CCDA = b"""<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3">
  <title>Continuity of Care Document</title>
  <recordTarget><patientRole>
    <id root="2.16.840.1.113883.19.5" extension="E1234567"/>
    <addr><streetAddressLine>12 Main St</streetAddressLine><city>Springfield</city></addr>
    <patient>
      <name><given>Jane</given><family>Roe</family></name>
      <birthTime value="19850314"/>
    </patient>
  </patientRole></recordTarget>
  <component><structuredBody><component><section>
    <title>Problems</title>
    <text><table><tr><th>Problem</th><th>Code</th></tr>
      <tr><td>Type 2 diabetes mellitus</td><td>E11.9</td></tr></table></text>
  </section></component></structuredBody></component>
</ClinicalDocument>"""
