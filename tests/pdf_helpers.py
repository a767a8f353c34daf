"""Small real PDFs written byte by byte (PDF 1.7, ISO 32000-1 §7): known pages, text and metadata.

Each page shows one line of text in Helvetica (a standard font, nothing embedded) on a coloured
band, so that the text layer, the page count and the first page's colours are all known.
Benchmarks import this too.
"""

from __future__ import annotations

from pathlib import Path

XMP_TEMPLATE = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{title}</rdf:li></rdf:Alt></dc:title>
<dc:creator><rdf:Seq><rdf:li>{creator}</rdf:li></rdf:Seq></dc:creator>
</rdf:Description></rdf:RDF></x:xmpmeta>
<?xpacket end="w"?>"""


def _literal(text: str) -> str:
    return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def pdf_bytes(
    pages: list[str],
    info: dict[str, str] | None = None,
    xmp: str | None = None,
    band: tuple[float, float, float] = (0.8, 0.1, 0.1),
) -> bytes:
    """A PDF whose page N shows ``pages[N]``; ``info``: its Info dictionary (Title, Author…);
    ``xmp``: an XMP packet stored, uncompressed, as the catalogue's metadata stream."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in below, once the page tree's number is known
    tree = add(b"")
    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    kids = []
    for text in pages:
        red, green, blue = band
        content = (
            f"{red} {green} {blue} rg 0 700 612 92 re f "
            f"BT /F1 18 Tf 72 600 Td {_literal(text)} Tj ET"
        ).encode("latin-1")
        stream = add(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content))
        kids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] "
                b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
                % (tree, font, stream)
            )
        )
    references = " ".join(f"{kid} 0 R" for kid in kids).encode()
    objects[tree - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (references, len(kids))
    metadata = b""
    if xmp is not None:
        packet = xmp.encode("utf-8")
        number = add(
            b"<< /Type /Metadata /Subtype /XML /Length %d >>\nstream\n%s\nendstream"
            % (len(packet), packet)
        )
        metadata = b" /Metadata %d 0 R" % number
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R%s >>" % (tree, metadata)
    info_number = None
    if info:
        entries = " ".join(f"/{key} {_literal(value)}" for key, value in info.items())
        info_number = add(f"<< {entries} >>".encode("latin-1"))
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    trailer = b"<< /Size %d /Root %d 0 R" % (len(objects) + 1, catalog)
    if info_number:
        trailer += b" /Info %d 0 R" % info_number
    out += b"trailer\n%s >>\nstartxref\n%d\n%%%%EOF\n" % (trailer, xref)
    return bytes(out)


def write_pdf(path: Path, pages: list[str], **options: object) -> Path:
    path.write_bytes(pdf_bytes(pages, **options))  # type: ignore[arg-type]
    return path
