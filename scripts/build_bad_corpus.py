"""Build ``tests/data/bad/``: malformed files that every import must refuse plainly.

Run it again after changing the list below::

    python scripts/build_bad_corpus.py

The output is the same byte for byte on every run (fixed zip timestamps, fixed
document dates, a seeded generator for the encryption's salts), so ``git diff``
shows only real changes. Besides the files it writes ``manifest.json`` (read by
``tests/test_bad_input.py``: which importers each file goes through and the words
each must answer with) and ``README.md`` (the same, for people).

Huge files stay small on disk: a million blank rows, a 10 MB cell and the zip bombs
are highly compressible by nature, and are written by streaming so that building
them needs little memory either.

Two files come from writers that Inquiry does not depend on, installed only to
build the corpus: ``xlwt`` (a real Excel 97-2003 .xls) and ``msoffcrypto-tool`` (a
real password-protected .xlsx, password "inquiry")::

    .venv/bin/pip install xlwt msoffcrypto-tool

Without them the script keeps the committed copies of those two files.
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import random
import re
import struct
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "data" / "bad"
FIXED_TIME = (2008, 3, 18, 9, 0, 0)  # the day the 2008 questionnaire went out
FIXED_ISO = "2008-03-18T09:00:00Z"

TABLES = ("contacts", "replies", "codebooks")
ALL = ("contacts", "questionnaires", "replies", "codebooks")


@dataclass
class Entry:
    name: str
    problem: str  # what is wrong, for the README
    importers: tuple[str, ...]
    expected: dict[str, str]  # importer (or "*") -> words the refusal must contain
    build: object = field(repr=False, default=None)  # () -> bytes, or None to keep the file

    def message_for(self, importer: str) -> str:
        return self.expected.get(importer, self.expected.get("*", ""))


# --- writers ----------------------------------------------------------------------------------


def normalized_zip(content: bytes, *, stored: set[str] = frozenset()) -> bytes:
    """The same archive with fixed timestamps and document dates: a stable output."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*",
                              rb"\g<1>" + FIXED_ISO.encode(), data)
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
            entry.compress_type = zipfile.ZIP_STORED if info.filename in stored or \
                info.filename == "mimetype" else zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, data, compresslevel=9)
    return out.getvalue()


def workbook_bytes(sheets: dict[str, list[list]], *, merge: dict[str, list[str]] | None = None,
                   hidden: tuple[str, ...] = ()) -> bytes:
    """An .xlsx written by openpyxl: {sheet title: rows}."""
    from openpyxl import Workbook

    workbook = Workbook()
    first = True
    for title, rows in sheets.items():
        sheet = workbook.active if first else workbook.create_sheet()
        first = False
        sheet.title = title
        for row in rows:
            sheet.append(row)
        for area in (merge or {}).get(title, []):
            sheet.merge_cells(area)
        if title in hidden:
            sheet.sheet_state = "hidden"
    fixed = datetime.datetime(*FIXED_TIME)
    workbook.properties.created = workbook.properties.modified = fixed
    buffer = io.BytesIO()
    workbook.save(buffer)
    return normalized_zip(buffer.getvalue())


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>{sheets}'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
_SHEET_TYPE = ('<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/vnd.'
               'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
_RELATIONSHIP = ('<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/'
                 'officeDocument/2006/relationships/{kind}" Target="{target}"/>')
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def inline_row(number: int, cells: list[str]) -> str:
    """A row of text cells written inline, as some programs write them."""
    out = []
    for index, text in enumerate(cells):
        ref = f"{chr(65 + index)}{number}"
        out.append(f'<c r="{ref}" t="inlineStr"><is><t>{_escape(text)}</t></is></c>')
    return f'<row r="{number}">{"".join(out)}</row>'


def raw_workbook(sheets: dict[str, list], shared: list[str] = (), *,
                 stored: bool = False) -> bytes:
    """An .xlsx written part by part, for what openpyxl cannot write (saved formula values,
    error cells, a million blank rows): {sheet name: pieces of the worksheet's XML body},
    the pieces streamed into the archive one by one."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        def info(name, compress=zipfile.ZIP_DEFLATED):
            entry = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            entry.compress_type = compress
            entry.external_attr = 0o644 << 16
            entry._compresslevel = 9  # zipfile.open("w") takes the level from the ZipInfo
            return entry

        numbers = range(1, len(sheets) + 1)
        archive.writestr(info("[Content_Types].xml"), _CONTENT_TYPES.format(
            sheets="".join(_SHEET_TYPE.format(n=n) for n in numbers)))
        archive.writestr(info("_rels/.rels"), _ROOT_RELS)
        archive.writestr(info("xl/workbook.xml"),
                         '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                         f'<workbook xmlns="{_MAIN}" xmlns:r="http://schemas.openxmlformats.org/'
                         'officeDocument/2006/relationships"><sheets>'
                         + "".join(f'<sheet name="{_escape(name)}" sheetId="{n}" r:id="rId{n}"/>'
                                   for n, name in zip(numbers, sheets, strict=True))
                         + "</sheets></workbook>")
        archive.writestr(info("xl/_rels/workbook.xml.rels"),
                         '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                         '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                         'relationships">'
                         + "".join(_RELATIONSHIP.format(n=n, kind="worksheet",
                                                        target=f"worksheets/sheet{n}.xml")
                                   for n in numbers)
                         + _RELATIONSHIP.format(n=len(sheets) + 1, kind="sharedStrings",
                                                target="sharedStrings.xml")
                         + "</Relationships>")
        archive.writestr(info("xl/sharedStrings.xml"),
                         '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                         f'<sst xmlns="{_MAIN}" count="{len(shared)}" '
                         f'uniqueCount="{len(shared)}">'
                         + "".join(f'<si><t xml:space="preserve">{_escape(s)}</t></si>'
                                   for s in shared) + "</sst>")
        for n, pieces in zip(numbers, sheets.values(), strict=True):
            entry = info(f"xl/worksheets/sheet{n}.xml",
                         zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)
            with archive.open(entry, "w") as part:
                part.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                           + f'<worksheet xmlns="{_MAIN}">'.encode())
                for piece in pieces:
                    part.write(piece.encode() if isinstance(piece, str) else piece)
                part.write(b"</worksheet>")
    return out.getvalue()


# --- the files ----------------------------------------------------------------------------------

CONTACTS_HEADER = ["country", "role", "name", "email", "language"]
CONTACTS = [
    ["France", "mission", "Permanent Mission of France", "france@example.org", "fr"],
    ["Germany", "pr", "Antje Leendertse", "deu-pr@example.org", "en"],
    ["Senegal", "focal point", "Awa Ndiaye", "awa.ndiaye@example.org", "fr"],
]
REPLIES_HEADER = ["country", "received_on", "channel", "views", "useful", "follow_up",
                  "meetings"]
REPLIES = [
    ["Germany", "2008-04-20", "e-mail", "Keep the item on the agenda.", "yes", "forum", 3],
    ["Senegal", "2008-04-28", "fax", "Le Forum est utile.", "oui", "agenda", 1],
]
CODEBOOK_HEADER = ["key", "label", "definition", "parent", "keywords"]
CODEBOOK = [
    ["useful", "The Forum is useful", "Says the Global Forum is useful.", "", "useful; utile"],
    ["sole", "Sole follow-up", "The Forum should be the only follow-up.", "useful", "sole"],
]
SURVEY_HEADER = ["type", "name", "label::English (en)"]


def csv_bytes(rows: list[list], *, delimiter: str = ",", encoding: str = "utf-8",
              bom: bool = False) -> bytes:
    import csv

    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    data = buffer.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def contacts_xlsx() -> bytes:
    return workbook_bytes({"Contacts": [CONTACTS_HEADER, *CONTACTS]})


def pdf_document() -> bytes:
    """A small but well-formed one-page PDF showing the table, as a print-to-PDF would."""
    text = "BT /F1 11 Tf 72 720 Td (country    role    name) Tj 0 -16 Td " \
           "(France    mission    Permanent Mission of France) Tj ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(text)} >>\nstream\n{text}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n" \
        .encode()
    return out


def xls_workbook() -> bytes:
    import xlwt

    workbook = xlwt.Workbook(encoding="utf-8")
    sheet = workbook.add_sheet("Contacts")
    for r, row in enumerate([CONTACTS_HEADER, *CONTACTS]):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def encrypted_workbook() -> bytes:
    from msoffcrypto.format.ooxml import OOXMLFile
    from msoffcrypto.method import ecma376_agile
    from msoffcrypto.method.container import ecma376_encrypted

    class FixedClock(datetime.datetime):
        @classmethod
        def now(cls, tz=None):
            return cls(*FIXED_TIME)

    # Fixed salts, keys and container dates: the same bytes on every run.
    generator = random.Random(2008)  # noqa: S311 - reproducibility, not secrecy
    saved = ecma376_agile._random_buffer, ecma376_encrypted.datetime
    ecma376_agile._random_buffer = generator.randbytes
    ecma376_encrypted.datetime = FixedClock
    try:
        out = io.BytesIO()
        OOXMLFile(io.BytesIO(contacts_xlsx())).encrypt("inquiry", out)
    finally:
        ecma376_agile._random_buffer, ecma376_encrypted.datetime = saved
    return out.getvalue()


def ods_document() -> bytes:
    """An OpenDocument spreadsheet as LibreOffice lays it out (mimetype first, stored)."""
    office = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
    table = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
    text_ns = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
    rows = "".join(
        "<table:table-row>" + "".join(
            f'<table:table-cell office:value-type="string"><text:p>{_escape(v)}</text:p>'
            "</table:table-cell>" for v in row) + "</table:table-row>"
        for row in [CONTACTS_HEADER, *CONTACTS])
    content = (f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content '
               f'xmlns:office="{office}" xmlns:table="{table}" xmlns:text="{text_ns}" '
               f'office:version="1.3"><office:body><office:spreadsheet>'
               f'<table:table table:name="Contacts">{rows}</table:table>'
               f'</office:spreadsheet></office:body></office:document-content>')
    manifest = ('<?xml version="1.0" encoding="UTF-8"?>\n<manifest:manifest xmlns:manifest='
                '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
                '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/'
                'vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path='
                '"content.xml" manifest:media-type="text/xml"/></manifest:manifest>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype", date_time=FIXED_TIME),
                         "application/vnd.oasis.opendocument.spreadsheet")
        for name, data in (("content.xml", content), ("META-INF/manifest.xml", manifest)):
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data, compresslevel=9)
    return out.getvalue()


def numbers_document() -> bytes:
    """The layout of a single-file Numbers document (Index/*.iwa, Metadata/, previews).

    The .iwa parts (Snappy-framed protobuf) are placeholders: what tells a Numbers
    file apart is its layout, and Inquiry refuses it from that alone.
    """
    parts = [
        ("Index/Document.iwa", b"\x00\x1c\x00\x00" + b"\x08\x01\x12\x10TST.DocumentArchive"),
        ("Index/Metadata.iwa", b"\x00\x10\x00\x00" + b"\x08\x02\x12\x0cTSP.Metadata"),
        ("Index/Tables/DataList.iwa", b"\x00\x10\x00\x00" + b"\x08\x03\x12\x0cTST.DataList"),
        ("Metadata/DocumentIdentifier", b"5F0B7A0E-2008-4C1B-9A53-2F1E6B7C0A11"),
        ("Metadata/BuildVersionHistory.plist",
         b'<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><array>'
         b"<string>Numbers 13.2</string></array></plist>"),
        ("Metadata/Properties.plist",
         b'<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict>'
         b"<key>isMultiPage</key><false/></dict></plist>"),
    ]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in parts:
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return out.getvalue()


def html_table() -> bytes:
    """A web page saved as .xls, as many web systems' "Export to Excel" buttons do."""
    rows = "".join("<tr>" + "".join(f"<td>{_escape(v)}</td>" for v in row) + "</tr>\r\n"
                   for row in [CONTACTS_HEADER, *CONTACTS])
    return ("<html xmlns:x=\"urn:schemas-microsoft-com:office:excel\">\r\n<head><meta "
            "charset=\"utf-8\"></head>\r\n<body><table>\r\n" + rows
            + "</table></body></html>\r\n").encode("utf-8")


def xml_spreadsheet_2003() -> bytes:
    rows = "".join("<Row>" + "".join(f'<Cell><Data ss:Type="String">{_escape(v)}</Data></Cell>'
                                     for v in row) + "</Row>\n"
                   for row in [CONTACTS_HEADER, *CONTACTS])
    return ('<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
            '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
            'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">\n'
            f'<Worksheet ss:Name="Contacts"><Table>\n{rows}</Table></Worksheet>\n'
            "</Workbook>\n").encode()


def word_document() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in (
                ("[Content_Types].xml",
                 '<?xml version="1.0" encoding="UTF-8"?>\n<Types xmlns="http://schemas.'
                 'openxmlformats.org/package/2006/content-types"><Override PartName="/word/'
                 'document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                 'wordprocessingml.document.main+xml"/></Types>'),
                ("word/document.xml",
                 '<?xml version="1.0" encoding="UTF-8"?>\n<w:document xmlns:w="http://schemas.'
                 'openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Reply '
                 "of France to the questionnaire</w:t></w:r></w:p></w:body></w:document>")):
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return out.getvalue()


def truncated_workbook() -> bytes:
    content = contacts_xlsx()
    return content[:len(content) * 3 // 5]  # the end (the zip's directory) never arrived


def corrupt_workbook() -> bytes:
    """One byte changed inside the sheet, as a bad disk or a mangled e-mail would: the
    part no longer matches its checksum."""
    content = raw_workbook({"Contacts": [
        "<sheetData>", inline_row(1, CONTACTS_HEADER),
        *(inline_row(n, row) for n, row in enumerate(CONTACTS, start=2)), "</sheetData>"]},
        stored=True)
    at = content.index(b"Permanent Mission of France")
    return content[:at] + b"p" + content[at + 1:]


def _padding(total: int, piece: bytes = b" " * (1 << 20)):
    while total > 0:
        yield piece[:min(total, len(piece))]
        total -= len(piece)


def bomb(size: int) -> bytes:
    """A workbook whose sheet is ``size`` bytes of spaces between two tags."""
    return raw_workbook({"Contacts": ["<sheetData>", *_padding(size), "</sheetData>"]})


def lying_bomb() -> bytes:
    """A 60 MB sheet whose zip entries declare 2 KB: a reader that trusts the declared
    sizes would unpack all of it."""
    content = bytearray(bomb(60 * 1024 * 1024))
    info = zipfile.ZipFile(io.BytesIO(bytes(content))).getinfo("xl/worksheets/sheet1.xml")
    small = struct.pack("<I", 2048)
    local = info.header_offset
    assert content[local:local + 4] == b"PK\x03\x04"
    content[local + 22:local + 26] = small  # the local header's uncompressed size
    central = 0
    while True:  # the central directory's entry for the same part
        central = content.index(b"PK\x01\x02", central + 1)
        length = struct.unpack("<H", content[central + 28:central + 30])[0]
        if content[central + 46:central + 46 + length] == b"xl/worksheets/sheet1.xml":
            break
    content[central + 24:central + 28] = small
    return bytes(content)


def million_blank_rows() -> bytes:
    """An XLSForm template "formatted down to the bottom": the header, then 1,048,575 rows
    whose only cell holds an empty text (what pasting the values of ="" leaves). Rows
    carry no r="..." numbers (optional in the format): that keeps the file small."""
    return raw_workbook({
        "survey": ['<dimension ref="A1:C1048576"/><sheetData>', inline_row(1, SURVEY_HEADER),
                   *(['<row><c t="s"><v>0</v></c></row>' * 1024] * 1024)[:-1],
                   '<row><c t="s"><v>0</v></c></row>' * 1023, "</sheetData>"],
        "settings": ["<sheetData>", inline_row(1, ["form_title", "form_id"]),
                     inline_row(2, ["Follow-up", "HLD-2012"]), "</sheetData>"]}, shared=[""])


def ten_mb_cell() -> bytes:
    """An XLSForm whose one label is 10 MB (a whole document pasted into a cell)."""
    text = "The Global Forum on Migration and Development is useful. " * 184_000
    text = text[:10 * 1024 * 1024]
    return raw_workbook({"survey": [
        "<sheetData>", inline_row(1, SURVEY_HEADER),
        '<row r="2"><c r="A2" t="inlineStr"><is><t>text</t></is></c>'
        '<c r="B2" t="inlineStr"><is><t>views</t></is></c><c r="C2" t="s"><v>0</v></c></row>',
        "</sheetData>"]}, shared=[text])


def formula_error_workbook() -> bytes:
    """Contacts whose e-mails come from a lookup into a sheet since deleted: #REF!."""
    rows = [inline_row(1, CONTACTS_HEADER)]
    for number, (country, role, name, _email, language) in enumerate(CONTACTS, start=2):
        rows.append(
            f'<row r="{number}"><c r="A{number}" t="inlineStr"><is><t>{country}</t></is></c>'
            f'<c r="B{number}" t="inlineStr"><is><t>{role}</t></is></c>'
            f'<c r="C{number}" t="inlineStr"><is><t>{name}</t></is></c>'
            + (f'<c r="D{number}" t="e"><f>VLOOKUP(A{number},#REF!,2,FALSE)</f><v>#REF!</v></c>'
               if number == 3 else
               f'<c r="D{number}" t="str"><f>"{_email}"</f><v>{_email}</v></c>')
            + f'<c r="E{number}" t="inlineStr"><is><t>{language}</t></is></c></row>')
    return raw_workbook({"Contacts": ["<sheetData>", *rows, "</sheetData>"]})


def billion_laughs() -> bytes:
    """Ten levels of entities, each ten of the one before: 10^9 "lol"s once expanded."""
    entities = ['  <!ENTITY lol0 "lol">'] + [
        f'  <!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)]
    return ('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE CodeBook [\n'
            + "\n".join(entities) + '\n]>\n<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
            '<Code guid="0f9d3a0e-5c1b-4a53-9a0e-2f1e6b7c0a11" name="&lol9;" isCodable="true"/>'
            "</Codes></CodeBook>\n").encode("utf-8")


def qdpx_project() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        info = zipfile.ZipInfo("project.qde", date_time=FIXED_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, '<?xml version="1.0" encoding="utf-8"?>\n<Project xmlns="urn:'
                               'QDA-XML:project:1.0" name="HLD 2008"><CodeBook><Codes/>'
                               '</CodeBook></Project>')
    return out.getvalue()


def utf16_without_bom() -> bytes:
    return csv_bytes([CONTACTS_HEADER, *CONTACTS], delimiter="\t", encoding="utf-16-le")


def xlsform(survey: list[list], *, choices: list[list] | None = None,
            merge: dict[str, list[str]] | None = None) -> bytes:
    sheets = {"survey": survey}
    if choices:
        sheets["choices"] = choices
    sheets["settings"] = [["form_title", "form_id", "default_language"],
                          ["Follow-up to the High-level Dialogue", "HLD-2012", "English (en)"]]
    return workbook_bytes(sheets, merge=merge)


def openpyxl_formulas() -> bytes:
    """Contacts written by a script with openpyxl: the names are formulas, and openpyxl
    never calculates, so the file holds no value for them."""
    rows = [CONTACTS_HEADER]
    for number, (country, role, _name, email, language) in enumerate(CONTACTS, start=2):
        rows.append([country, role, f'="Permanent Mission of "&A{number}', email, language])
    return workbook_bytes({"Contacts": rows})


# --- the corpus -------------------------------------------------------------------------------


def corpus() -> list[Entry]:
    empty = "is empty"
    return [
        # What the file is
        Entry("empty_file.xlsx", "0 bytes (an upload that failed half way).", ALL,
              {"*": empty}, lambda: b""),
        Entry("pdf_renamed.xlsx", "A PDF (a printed table) renamed to .xlsx.", ALL,
              {"*": "This is a PDF document"}, pdf_document),
        Entry("excel_97_2003.xls", "A real Excel 97-2003 .xls (BIFF8, written by xlwt).", ALL,
              {"*": "Excel 97-2003 workbook (.xls)"}, xls_workbook),
        Entry("excel_97_2003_renamed.xlsx", "The same .xls renamed to .xlsx.", ALL,
              {"*": "Excel 97-2003 workbook (.xls)"}, xls_workbook),
        Entry("libreoffice.ods", "An OpenDocument spreadsheet laid out as LibreOffice saves it "
              "(calamine would read it).", ALL,
              {"*": "OpenDocument spreadsheet (.ods)"}, ods_document),
        Entry("apple_numbers.numbers", "An Apple Numbers document (single-file layout).", ALL,
              {"*": "Apple Numbers"}, numbers_document),
        Entry("password_protected.xlsx", "A real password-protected workbook (password "
              "“inquiry”): an OLE2 file with EncryptionInfo and EncryptedPackage.", ALL,
              {"*": "protected by a password"}, encrypted_workbook),
        Entry("web_page_export.xls", "A web page (HTML table) saved as .xls, as many web "
              "systems' “Export to Excel” buttons do.", ALL,
              {"*": "web page (HTML)"}, html_table),
        Entry("xml_spreadsheet_2003.xls", "An Excel “XML Spreadsheet 2003” saved as .xls.", ALL,
              {"*": "XML Spreadsheet 2003"}, xml_spreadsheet_2003),
        Entry("word_document_renamed.xlsx", "A Word document (.docx) attached by mistake and "
              "renamed.", ALL, {"*": "Word or PowerPoint document"}, word_document),
        Entry("text_renamed.xlsx", "CSV text renamed to .xlsx.", ALL,
              {"*": "not an Excel workbook (.xlsx)"},
              lambda: csv_bytes([CONTACTS_HEADER, *CONTACTS])),
        Entry("corrupt_truncated.xlsx", "The first 60% of a workbook: the zip's directory, "
              "at the end, never arrived.", ALL, {"*": "The file is damaged"},
              truncated_workbook),
        Entry("corrupt_checksum.xlsx", "One byte of the sheet changed: the part fails its "
              "CRC-32 checksum.", ALL, {"*": "The file is damaged"}, corrupt_workbook),
        Entry("zip_bomb.xlsx", "A sheet of 250 MB of spaces, 250 KB on disk: refused from "
              "the zip's directory, before anything is unpacked.", ALL,
              {"*": "unpacks to 250 MB"}, lambda: bomb(250 * 1024 * 1024)),
        Entry("zip_bomb_ratio.xlsx", "A 60 MB part compressed 1,000 times (under the 200 MB "
              "limit, but no real sheet compresses so well).", ALL,
              {"*": "“xl/worksheets/sheet1.xml” of the file is compressed"},
              lambda: bomb(60 * 1024 * 1024)),
        Entry("zip_bomb_lying_sizes.xlsx", "A 60 MB part whose zip entries declare 2 KB: "
              "unpacking stops at 2 KB and the checksum fails.", ALL,
              {"*": "The file is damaged"}, lambda: lying_bomb()),
        # CSV text
        Entry("empty_file.csv", "0 bytes.", TABLES, {"*": empty}, lambda: b""),
        Entry("cp1252_semicolons.csv", "Semicolon-separated in Windows-1252, as Excel's "
              "“CSV (separator: semicolon)” writes it in French, Spanish or Russian locales.",
              TABLES, {"*": "not in UTF-8"},
              lambda: csv_bytes([CONTACTS_HEADER, ["Côte d'Ivoire", "mission",
                                                   "Mission permanente de Côte d'Ivoire",
                                                   "", "fr"]], delimiter=";",
                                encoding="cp1252")),
        Entry("utf16_without_bom.csv", "UTF-16 text without its byte-order mark.", TABLES,
              {"*": "UTF-16 without a byte-order mark"}, utf16_without_bom),
        Entry("unclosed_quote.csv", "A quotation mark opened in row 2 and never closed: "
              "read loosely, the rest of the file would become one cell.", TABLES,
              {"*": "quotation mark"},
              lambda: b'country,role,name\r\nFrance,mission,"Permanent Mission of France\r\n'
                      b"Germany,pr,Antje Leendertse\r\n"),
        Entry("long_cell_40k.csv", "A cell of 40,000 characters (Excel holds 32,767).", TABLES,
              {"*": "Line 2, column C of the CSV file holds 40,000 characters"},
              lambda: csv_bytes([["country", "role", "notes"],
                                 ["France", "mission", "x" * 40_000]])),
        Entry("long_cell_200k.csv", "A cell of 200,000 characters, past the CSV reader's own "
              "limit.", TABLES, {"*": "longer than 32,767 characters"},
              lambda: csv_bytes([["country", "role", "notes"],
                                 ["France", "mission", "y" * 200_000]])),
        Entry("only_separators.csv", "Only semicolons and line breaks.", TABLES,
              {"*": "The first row must hold the column names"},
              lambda: b";;;;\r\n;;;;\r\n;;;;\r\n"),
        Entry("headers_only.csv", "Column names and no rows.", TABLES,
              {"*": "has column names but no rows under them"},
              lambda: csv_bytes([CONTACTS_HEADER])),
        Entry("workbook_renamed.csv", "A real .xlsx named .csv.", TABLES,
              {"*": "is an Excel workbook (.xlsx), not CSV text"}, contacts_xlsx),
        # Sheets
        Entry("empty_sheet.xlsx", "A workbook whose only sheet is empty.", TABLES,
              {"*": "The sheet “Contacts” is empty."},
              lambda: workbook_bytes({"Contacts": []})),
        Entry("headers_only.xlsx", "Column names and no rows.", TABLES,
              {"*": "The sheet “Contacts” has column names but no rows under them"},
              lambda: workbook_bytes({"Contacts": [CONTACTS_HEADER]})),
        Entry("first_sheet_empty.xlsx", "The first sheet is empty; the table is on the "
              "second.", TABLES,
              {"*": "The first sheet, “Sheet1”, is empty: Inquiry reads the first sheet only, "
                    "and the data seems to be on “Contacts”"},
              lambda: workbook_bytes({"Sheet1": [], "Contacts": [CONTACTS_HEADER,
                                                                 *CONTACTS]})),
        Entry("merged_cells.xlsx", "One country merged over two rows (A2:A3): only A2 holds "
              "it.", TABLES, {"*": "merged cells (A2:A3)"},
              lambda: workbook_bytes({"Contacts": [
                  CONTACTS_HEADER, CONTACTS[0],
                  [None, "pr", "Jeanne Martin", "jm@example.org", "fr"]]},
                  merge={"Contacts": ["A2:A3"]})),
        Entry("formula_without_value.xlsx", "Formulas written by a script (openpyxl) and never "
              "calculated: the file holds no value for them.", TABLES,
              {"*": "formulas whose result is not saved in the file (cells C2, C3, C4)"},
              openpyxl_formulas),
        Entry("formula_error.xlsx", "A lookup into a deleted sheet: the cell shows #REF!.",
              TABLES, {"*": "show an error instead of a value (D3 #REF!)"},
              formula_error_workbook),
        Entry("million_blank_rows.xlsx", "An XLSForm template whose “survey” sheet was "
              "formatted down to row 1,048,576: a header, then 1,048,575 cells holding "
              "empty text (33 MB unpacked, 84 KB on disk). Read in bounded memory.", ALL,
              {"*": "The sheet “survey” has column names but no rows under them",
               "questionnaires": "there is no question to import"}, million_blank_rows),
        Entry("ten_mb_cell.xlsx", "A 10 MB label (a document pasted into one cell); 32 KB on "
              "disk.", ALL,
              {"*": "The cell C2 of the sheet “survey” holds 10,485,760 characters"},
              ten_mb_cell),
        # Contacts
        Entry("contacts_missing_column.csv", "Semicolon-separated UTF-8 with a byte-order mark "
              "(Excel's “CSV UTF-8” in many locales, accepted) but no “role” column.",
              ("contacts",), {"*": "Missing column: role."},
              lambda: csv_bytes([["country", "name", "email"], ["France", "Mission", ""]],
                                delimiter=";", bom=True)),
        Entry("contacts_unknown_column.xlsx", "A column “E-mail adress” (misspelt).",
              ("contacts",), {"*": "Unknown column: e_mail_adress."},
              lambda: workbook_bytes({"Contacts": [
                  ["country", "role", "name", "E-mail adress"],
                  ["France", "mission", "Permanent Mission of France", "f@example.org"]]})),
        Entry("contacts_same_column_twice.xlsx", "“Email” and “E-mail”: two columns for one "
              "thing.", ("contacts",), {"*": "Two columns mean “email”"},
              lambda: workbook_bytes({"Contacts": [
                  ["country", "role", "name", "Email", "E-mail"],
                  ["France", "mission", "Mission", "a@example.org", "b@example.org"]]})),
        Entry("contacts_unknown_state.xlsx", "“Atlantis”, and “Kosovo” (not a Member or "
              "observer State).", ("contacts",), {"*": "Unknown country “Atlantis”"},
              lambda: workbook_bytes({"Contacts": [
                  CONTACTS_HEADER, CONTACTS[0],
                  ["Atlantis", "mission", "Mission of Atlantis", "", "en"],
                  ["Kosovo", "mission", "Mission of Kosovo", "", "en"]]})),
        Entry("contacts_ambiguous_state.csv", "“Korea”, which could be either Korea.",
              ("contacts",), {"*": "Unknown country “Korea”. Did you mean:"},
              lambda: csv_bytes([CONTACTS_HEADER, ["Korea", "mission", "Mission", "", "en"]])),
        Entry("contacts_duplicate_rows.xlsx", "The same contact twice.", ("contacts",),
              {"*": "Same country, role and name as row 1."},
              lambda: workbook_bytes({"Contacts": [CONTACTS_HEADER, CONTACTS[0],
                                                   CONTACTS[1], CONTACTS[0]]})),
        # Replies
        Entry("replies_missing_column.xlsx", "No “received_on” column.", ("replies",),
              {"*": "The sheet has no “received_on” column."},
              lambda: workbook_bytes({"Replies": [
                  [h for h in REPLIES_HEADER if h != "received_on"],
                  *[[v for i, v in enumerate(r) if i != 1] for r in REPLIES]]})),
        Entry("replies_unknown_column.csv", "A column “Q7b” that is no question of the "
              "questionnaire.", ("replies",), {"*": "Unknown column: “Q7b”"},
              lambda: csv_bytes([[*REPLIES_HEADER, "Q7b"], [*REPLIES[0], "x"]])),
        Entry("replies_unknown_state.xlsx", "“Atlantis”.", ("replies",),
              {"*": "Unknown country “Atlantis”"},
              lambda: workbook_bytes({"Replies": [
                  REPLIES_HEADER, REPLIES[0], ["Atlantis", *REPLIES[1][1:]]]})),
        Entry("replies_ambiguous_state.csv", "“Korea”, which could be either Korea.",
              ("replies",), {"*": "Unknown country “Korea”. Did you mean:"},
              lambda: csv_bytes([REPLIES_HEADER, ["Korea", *REPLIES[0][1:]]])),
        Entry("replies_duplicate_rows.xlsx", "Germany twice, spelt two ways.", ("replies",),
              {"*": "Germany is already on row 1."},
              lambda: workbook_bytes({"Replies": [
                  REPLIES_HEADER, REPLIES[0], REPLIES[1], ["DEU", *REPLIES[0][1:]]]})),
        Entry("replies_not_a_recipient.xlsx", "Japan, which was not sent the questionnaire.",
              ("replies",), {"*": "Japan is not a recipient of HLD-2008."},
              lambda: workbook_bytes({"Replies": [
                  REPLIES_HEADER, REPLIES[0], ["Japan", *REPLIES[1][1:]]]})),
        Entry("replies_decimal_comma.csv", "Semicolons and decimal commas (accepted), but "
              "“1,234”, which reads 1234 or 1.234.", ("replies",),
              {"*": "could be read two ways"},
              lambda: csv_bytes([REPLIES_HEADER, [*REPLIES[0][:6], "2,5"],
                                 [*REPLIES[1][:6], "1,234"]], delimiter=";", bom=True)),
        # Codebooks
        Entry("codebook_missing_column.xlsx", "No “label” column.", ("codebooks",),
              {"*": "The sheet has no column “label”"},
              lambda: workbook_bytes({"codebook": [["key", "definition"],
                                                   ["useful", "Says it is useful."]]})),
        Entry("codebook_duplicate_keys.csv", "The key “useful” twice.", ("codebooks",),
              {"*": "The key “useful” is used twice"},
              lambda: csv_bytes([CODEBOOK_HEADER, *CODEBOOK, CODEBOOK[0]])),
        Entry("codebook_parent_loop.xlsx", "Two codes each the parent of the other.",
              ("codebooks",), {"*": "The parents form a loop"},
              lambda: workbook_bytes({"codebook": [
                  CODEBOOK_HEADER, ["useful", "Useful", "", "sole", ""], CODEBOOK[1]]})),
        Entry("codebook_empty.qdc", "0 bytes.", ("codebooks",),
              {"*": empty}, lambda: b""),
        Entry("codebook_billion_laughs.qdc", "An XML entity bomb (“billion laughs”).",
              ("codebooks",), {"*": "DOCTYPE or ENTITY"}, billion_laughs),
        Entry("codebook_project.qdc", "A zipped REFI-QDA project (.qdpx) renamed to .qdc.",
              ("codebooks",), {"*": "This is a zip archive (a REFI-QDA project"},
              qdpx_project),
        Entry("codebook_not_well_formed.qdc", "XML cut off in the middle of an element.",
              ("codebooks",), {"*": "not well-formed XML"},
              lambda: b'<?xml version="1.0"?>\n<CodeBook xmlns="urn:QDA-XML:codebook:1.0">'
                      b'<Codes><Code guid="0f9d3a0e-5c1b-4a53-9a0e-2f1e6b7c0a11" name="Usef'),
        Entry("codebook_wrong_root.qdc", "Well-formed XML that is not a codebook.",
              ("codebooks",), {"*": "This is not a REFI-QDA codebook"},
              lambda: b'<?xml version="1.0"?>\n<Questionnaire><Question/></Questionnaire>\n'),
        # Questionnaires (XLSForm)
        Entry("xlsform_no_survey_sheet.xlsx", "A contacts sheet uploaded as a questionnaire.",
              ("questionnaires",), {"*": "no “survey” sheet"}, contacts_xlsx),
        Entry("xlsform_missing_type_column.xlsx", "A survey sheet without its “type” column.",
              ("questionnaires",), {"*": "the column “type” is missing"},
              lambda: xlsform([["name", "label::English (en)"], ["views", "Your views"]])),
        Entry("xlsform_duplicate_names.xlsx", "Two questions named “views”.",
              ("questionnaires",), {"*": "the name “views” is used twice"},
              lambda: xlsform([SURVEY_HEADER, ["text", "views", "Your views"],
                               ["text", "views", "Your other views"]])),
        Entry("xlsform_merged_cells.xlsx", "The type “text” merged over two questions "
              "(A2:A3).", ("questionnaires",), {"*": "merged cells (A2:A3)"},
              lambda: xlsform([SURVEY_HEADER, ["text", "views", "Your views"],
                               [None, "plans", "Your plans"]], merge={"survey": ["A2:A3"]})),
        Entry("xlsform_formula_without_value.xlsx", "A label built by a formula that was "
              "never calculated.", ("questionnaires",),
              {"*": "formulas whose result is not saved in the file (cells C2)"},
              lambda: xlsform([SURVEY_HEADER, ["text", "views", '="Your views on "&B2']])),
    ]


# --- writing ------------------------------------------------------------------------------------


def readme(entries: list[Entry], sizes: dict[str, int]) -> str:
    lines = [
        "# Bad-input corpus",
        "",
        "Malformed files that every import must refuse with a plain message, writing",
        "nothing, never failing with a server error, in bounded memory and time",
        "(`tests/test_bad_input.py`). Built by `scripts/build_bad_corpus.py`, which also",
        "writes `manifest.json` (what the test reads) and this page: change the list there,",
        "not here.",
        "",
        "Importers: **contacts** (`import_contacts`, the Contacts admin's Import),",
        "**questionnaires** (`import_questionnaire`, “Import from XLSForm”), **replies**",
        "(`import_responses`, the Replies admin's Import), **codebooks** (`import_codebook`,",
        "the Codebook admin's Import). Each file goes through the service, the command and",
        "the admin screen of each importer listed; the refusal must contain the words shown",
        "(the admin screens say “The submitted file is empty.” for an empty upload).",
        "",
        "| file | size | what is wrong | importers | the refusal says |",
        "| --- | ---: | --- | --- | --- |",
    ]
    for entry in entries:
        expected = "; ".join(f"{k if k != '*' else 'all'}: “{v}”" if len(entry.expected) > 1
                             else f"“{v}”" for k, v in entry.expected.items())
        size = sizes[entry.name]
        shown = f"{size / 1024:,.0f} KB" if size >= 1024 else f"{size} B"
        lines.append(f"| `{entry.name}` | {shown} | {entry.problem} | "
                     f"{', '.join(entry.importers)} | {expected} |")
    total = sum(sizes.values())
    lines += ["", f"{len(entries)} files, {total / 1024 / 1024:.1f} MB on disk.", "",
              "Decisions these files pin down are written at the top of",
              "`surveys/spreadsheets.py` (the shared reader): .xls, .ods and .numbers are",
              "refused with how to save as .xlsx; formulas are read through the value Excel",
              "saved, and refused without one; merged cells are refused; at most 50 MB as",
              "uploaded, 200 MB unpacked, 32,767 characters a cell.", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", help="rebuild only the files whose name contains this")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    entries = corpus()
    names = [e.name for e in entries]
    assert len(names) == len(set(names)), "a file name is used twice"
    for entry in entries:
        if args.only and args.only not in entry.name:
            continue
        path = OUT / entry.name
        try:
            content = entry.build()
        except ImportError as exc:  # xlwt or msoffcrypto-tool missing: keep the committed copy
            if not path.exists():
                raise SystemExit(f"{entry.name}: {exc}; install it to build this file") from exc
            print(f"kept     {entry.name} ({exc.name} is not installed)")
            continue
        changed = not path.exists() or path.read_bytes() != content
        path.write_bytes(content)
        print(f"{'wrote' if changed else 'same '}    {entry.name} ({len(content):,} bytes)")
    for stale in sorted({p.name for p in OUT.iterdir() if not p.name.startswith(".")}
                        - set(names) - {"README.md", "manifest.json"}):
        print(f"not in the list, delete it: {stale}")
    sizes = {e.name: (OUT / e.name).stat().st_size for e in entries}
    manifest = [{"file": e.name, "problem": e.problem, "importers": list(e.importers),
                 "expected": {importer: e.message_for(importer) for importer in e.importers}}
                for e in entries]
    (OUT / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1)
                                       + "\n", encoding="utf-8")
    (OUT / "README.md").write_text(readme(entries, sizes), encoding="utf-8")
    print(f"{len(entries)} files, {sum(sizes.values()):,} bytes")


if __name__ == "__main__":
    main()
