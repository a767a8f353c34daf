"""Writing embedded metadata into JPEG files, for the demo collection and tests.

- EXIF (CIPA DC-008): Make, Model, Artist, Copyright, ImageDescription and Orientation in
  IFD0, DateTimeOriginal in the Exif IFD, and a GPS IFD with latitude/longitude and their
  N/S, E/W refs. EXIF "ASCII" fields are plain ASCII, so accents are folded there.
- XMP (ISO 16684-1): an ``x:xmpmeta`` / ``rdf:RDF`` packet, written by Pillow's ``xmp=``
  JPEG save option.
- IPTC IIM 4.2, written by hand because Pillow only reads it: an APP13 "Photoshop 3.0"
  segment holding the 8BIM resource 0x0404.
"""

from __future__ import annotations

import io
import struct
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from xml.sax.saxutils import escape

from PIL import Image
from PIL.TiffImagePlugin import IFDRational

JPEG_QUALITY = 85


@dataclass
class DemoMetadata:
    """What was embedded in a demo image, as the EXIF, IPTC and XMP readers should find it."""

    title: str
    headline: str
    description: str
    creator: str
    rights: str
    keywords: list[str]
    taken: datetime
    make: str
    model: str
    orientation: int
    gps: tuple[float, float] | None


_ASCII_REPLACEMENTS = str.maketrans(
    {"ß": "ss", "©": "(c)", "ø": "o", "Ø": "O", "æ": "ae", "«": '"', "»": '"', "·": "-"}
)


def exif_text(text: str) -> str:
    """``text`` as EXIF ASCII: accents dropped, a few letters spelled out (ß → ss)."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_ASCII_REPLACEMENTS))
    return (
        "".join(char for char in decomposed if not unicodedata.combining(char))
        .encode("ascii", "replace")
        .decode("ascii")
    )


EXIF_IFD, GPS_IFD = 0x8769, 0x8825


def build_exif(meta: DemoMetadata) -> Image.Exif:
    """IFD0, Exif IFD (DateTimeOriginal) and, when there is a fix, the GPS IFD."""
    exif = Image.Exif()
    exif[0x010F] = meta.make
    exif[0x0110] = meta.model
    exif[0x0112] = meta.orientation
    exif[0x013B] = exif_text(meta.creator)
    exif[0x8298] = exif_text(meta.rights)
    exif[0x010E] = exif_text(meta.description)
    exif.get_ifd(EXIF_IFD)[0x9003] = f"{meta.taken:%Y:%m:%d %H:%M:%S}"
    if meta.gps is not None:
        exif.get_ifd(GPS_IFD).update(_gps_tags(*meta.gps))
    return exif


def _gps_tags(lat: float, long: float) -> dict[int, object]:
    return {
        0x0000: b"\x02\x03\x00\x00",  # GPSVersionID 2.3
        0x0001: "N" if lat >= 0 else "S",
        0x0002: _degrees_minutes_seconds(abs(lat)),
        0x0003: "E" if long >= 0 else "W",
        0x0004: _degrees_minutes_seconds(abs(long)),
    }


def _degrees_minutes_seconds(value: float) -> tuple[IFDRational, IFDRational, IFDRational]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    hundredths_of_seconds = round(((value - degrees) * 60 - minutes) * 6000)
    return IFDRational(degrees, 1), IFDRational(minutes, 1), IFDRational(hundredths_of_seconds, 100)


def build_xmp(meta: DemoMetadata) -> bytes:
    """An XMP packet with the Dublin Core and Photoshop fields of ``meta``."""

    def alt(text: str) -> str:
        return f'<rdf:Alt><rdf:li xml:lang="x-default">{escape(text)}</rdf:li></rdf:Alt>'

    keywords = "".join(f"<rdf:li>{escape(keyword)}</rdf:li>" for keyword in meta.keywords)
    packet = f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/">
   <dc:title>{alt(meta.title)}</dc:title>
   <dc:description>{alt(meta.description)}</dc:description>
   <dc:rights>{alt(meta.rights)}</dc:rights>
   <dc:creator><rdf:Seq><rdf:li>{escape(meta.creator)}</rdf:li></rdf:Seq></dc:creator>
   <dc:subject><rdf:Bag>{keywords}</rdf:Bag></dc:subject>
   <photoshop:Headline>{escape(meta.headline)}</photoshop:Headline>
   <photoshop:DateCreated>{meta.taken.isoformat()}</photoshop:DateCreated>
   <xmp:CreatorTool>Atrium demo generator</xmp:CreatorTool>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""
    return packet.encode("utf-8")


# IIM maximum lengths in bytes (IPTC IIM 4.2, section 6).
IIM_LIMITS = {5: 64, 25: 64, 55: 8, 80: 32, 105: 256, 116: 128, 120: 2000}


def build_iim(meta: DemoMetadata) -> bytes:
    """IIM records 1 and 2, datasets in ascending order, text in UTF-8 (declared by 1:90)."""
    datasets = [
        (1, 90, b"\x1b%G"),
        (2, 0, b"\x00\x04"),  # record version 4
        (2, 5, _iim_text(5, meta.title)),
        *((2, 25, _iim_text(25, keyword)) for keyword in meta.keywords),
        (2, 55, meta.taken.strftime("%Y%m%d").encode("ascii")),
        (2, 80, _iim_text(80, meta.creator)),
        (2, 105, _iim_text(105, meta.headline)),
        (2, 116, _iim_text(116, meta.rights)),
        (2, 120, _iim_text(120, meta.description)),
    ]
    return b"".join(
        struct.pack(">BBBH", 0x1C, record, number, len(data)) + data
        for record, number, data in datasets
    )


def _iim_text(dataset: int, text: str) -> bytes:
    """UTF-8, cut to the dataset's limit without splitting a character."""
    return text.encode("utf-8")[: IIM_LIMITS[dataset]].decode("utf-8", "ignore").encode("utf-8")


def photoshop_app13(iim: bytes) -> bytes:
    """A JPEG APP13 segment: "Photoshop 3.0", one 8BIM resource 0x0404 holding ``iim``."""
    padded = iim + b"\x00" * (len(iim) % 2)
    # 8BIM, resource id, empty Pascal name padded to even length, data size, data.
    resource = (
        b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" + struct.pack(">I", len(iim)) + padded
    )
    payload = b"Photoshop 3.0\x00" + resource
    return b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload


def insert_after_app0_app1(jpeg: bytes, segment: bytes) -> bytes:
    """``jpeg`` with ``segment`` placed after its leading APP0 and APP1 segments."""
    position = 2  # after SOI
    while jpeg[position] == 0xFF and jpeg[position + 1] in (0xE0, 0xE1):
        (length,) = struct.unpack(">H", jpeg[position + 2 : position + 4])
        position += 2 + length
    return jpeg[:position] + segment + jpeg[position:]


def encode_jpeg(image: Image.Image, meta: DemoMetadata) -> bytes:
    """JPEG bytes of ``image`` carrying EXIF, XMP and IPTC IIM for ``meta``."""
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=JPEG_QUALITY, exif=build_exif(meta), xmp=build_xmp(meta))
    return insert_after_app0_app1(buffer.getvalue(), photoshop_app13(build_iim(meta)))
