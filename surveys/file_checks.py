"""What an uploaded file is, and whether it is safe to parse as a workbook.

The checks every import's file passes before a spreadsheet reader sees it (the
decisions and limits are listed in :mod:`surveys.spreadsheets`): the kind of file is
told from its content (an .xls, an encrypted workbook, an .ods, a Numbers file, a
PDF, a web page, a damaged zip...); an .xlsx is checked for a "zip bomb" from its zip
directory, then every part is unpacked once, in chunks, so that checksums and
declared sizes are verified and the worksheets are looked through for formulas
without a saved value and cells showing an error.
"""

from __future__ import annotations

import codecs
import html
import io
import posixpath
import re
import zipfile
import zlib
from pathlib import Path

from django.utils.translation import gettext as _

MAX_FILE_BYTES = 50 * 1024 * 1024  # the file as uploaded
MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # all the parts of an .xlsx, unpacked
BOMB_PART_BYTES = 50 * 1024 * 1024  # a part this large ...
BOMB_RATIO = 100  # ... compressed more than this many times is a zip bomb
_CHUNK = 1024 * 1024

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MB = 1024 * 1024


class SpreadsheetError(ValueError):
    """The file cannot be read as a table; the message says why, for staff."""


# --- what the file is -----------------------------------------------------------------------


def _ole_streams(content: bytes) -> set[str]:
    """Names of the streams of an OLE2 (Office 97-2003) file that matter here.

    Directory entries are 128-byte records on 128-byte boundaries: a UTF-16 name,
    then its length in bytes at offset 64. Looking for the few names wanted at such
    places is enough to tell an encrypted .xlsx from an .xls or a Word document.
    """
    found = set()
    for name in ("EncryptionInfo", "EncryptedPackage", "Workbook", "Book", "WordDocument",
                 "PowerPoint Document"):
        pattern = name.encode("utf-16-le") + b"\x00\x00"
        start = content.find(pattern, 512)
        while start != -1:
            if start % 128 == 0 and \
                    int.from_bytes(content[start + 64:start + 66], "little") == len(pattern):
                found.add(name)
                break
            start = content.find(pattern, start + 1)
    return found


def _ole_problem(content: bytes) -> str:
    streams = _ole_streams(content)
    if {"EncryptionInfo", "EncryptedPackage"} <= streams:
        return _("The workbook is protected by a password, so it cannot be read. Open it in "
                 "Excel, remove the password (File › Info › Protect Workbook › Encrypt with "
                 "Password, then clear it), save it and upload it again.")
    if streams & {"WordDocument", "PowerPoint Document"}:
        return _("This is a Word or PowerPoint document, not a workbook (.xlsx).")
    return _("This is an Excel 97-2003 workbook (.xls), which Inquiry does not read. Open it "
             "in Excel or LibreOffice, save it as “Excel Workbook (.xlsx)” and upload that "
             "file.")


def _text_head(content: bytes) -> bytes:
    head = content[:4096]
    for bom in (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        if head.startswith(bom):
            head = head[len(bom):]
            if bom != codecs.BOM_UTF8:
                head = head.replace(b"\x00", b"")
            break
    return head.lstrip().lower()


def _markup_problem(content: bytes) -> str | None:
    """The message for a web page or an XML file given as a spreadsheet, if it is one."""
    head = _text_head(content)
    if head.startswith((b"<!doctype html", b"<html", b"<table", b"<head", b"<body")) or \
            (head.startswith(b"<?xml") and b"<html" in head):
        return _("This is a web page (HTML) saved under a spreadsheet's name, not a workbook. "
                 "Open it in Excel, save it as “Excel Workbook (.xlsx)” and upload that file.")
    if head.startswith(b"<?xml") or head.startswith(b"<"):
        if b"urn:schemas-microsoft-com:office:spreadsheet" in head or \
                b'progid="excel.sheet"' in head:
            return _("This is an “XML Spreadsheet 2003” file, which Inquiry does not read. "
                     "Open it in Excel, save it as “Excel Workbook (.xlsx)” and upload that "
                     "file.")
        if head.startswith(b"<?xml"):
            return _("This is an XML document, not a workbook (.xlsx) or a CSV file.")
    return None


def _zip_problem(archive: zipfile.ZipFile) -> str | None:
    """Why a zip archive is not an .xlsx workbook, or None if it is one."""
    names = set(archive.namelist())
    if "mimetype" in names:
        try:
            mimetype = archive.read("mimetype")[:100].decode("ascii", "replace").strip()
        except Exception:  # a damaged part: it says nothing of what the file is
            mimetype = ""
        if mimetype.startswith("application/vnd.oasis.opendocument.spreadsheet"):
            return _("This is an OpenDocument spreadsheet (.ods), which Inquiry does not read. "
                     "In LibreOffice choose File › Save As… and the type “Excel 2007-365 "
                     "(.xlsx)”, then upload that file.")
        if mimetype.startswith("application/vnd.oasis.opendocument"):
            return _("This is an OpenDocument text or presentation, not a workbook (.xlsx).")
    if any(n.startswith("Index/") and n.endswith(".iwa") for n in names) or \
            "Index.zip" in names:
        return _("This is an Apple Numbers file, which Inquiry does not read. In Numbers choose "
                 "File › Export To › Excel…, then upload the .xlsx file.")
    if "xl/workbook.xml" in names:
        return None
    if "xl/workbook.bin" in names:
        return _("This is an Excel binary workbook (.xlsb), which Inquiry does not read. Open it "
                 "in Excel, save it as “Excel Workbook (.xlsx)” and upload that file.")
    if any(n.startswith(("word/", "ppt/")) for n in names):
        return _("This is a Word or PowerPoint document, not a workbook (.xlsx).")
    return _("This is a zip archive, not a workbook (.xlsx): unzip it and upload the workbook "
             "it holds.")


def _damaged(detail: str) -> SpreadsheetError:
    return SpreadsheetError(
        _("The file is damaged: %(detail)s. Open it in Excel and save it again, or ask whoever "
          "sent it for a new copy.") % {"detail": detail})


def _open_zip(content: bytes) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise _damaged(_("the .xlsx archive is incomplete or broken")) from exc


def content_problem(content: bytes, *, expected: str) -> str | None:
    """The message for content that is not ``expected`` ("xlsx" or "csv"), or None.

    Zip archives that are .xlsx workbooks get None here: :class:`Workbook` checks
    them further.
    """
    if not content or not content[:4096].strip() and not content.strip():
        return _("The file is empty.")
    if content.startswith(b"%PDF"):
        return _("This is a PDF document, not a spreadsheet. Ask for the workbook it was made "
                 "from (.xlsx), or copy the table into one, and upload that.")
    if content.startswith(_OLE2_MAGIC):
        return _ole_problem(content)
    if content.startswith(b"PK"):
        problem = _zip_problem(_open_zip(content))
        if problem is None and expected == "csv":
            return _("This is an Excel workbook (.xlsx), not CSV text: give it the .xlsx "
                     "extension (or choose the xlsx format) and upload it again.")
        return problem
    problem = _markup_problem(content)
    if problem:
        return problem
    if expected == "xlsx":
        return _("The file is not an Excel workbook (.xlsx).")
    return None


def check_size(size: int) -> None:
    if size > MAX_FILE_BYTES:
        raise SpreadsheetError(
            _("The file is %(size)s MB, more than the %(max)s MB Inquiry accepts: split it "
              "into smaller files.") % {"size": size // _MB, "max": MAX_FILE_BYTES // _MB})


def file_bytes(path) -> bytes:
    """The content of the file at ``path``, refused before reading if it is too large."""
    path = Path(path)
    try:
        check_size(path.stat().st_size)
        return path.read_bytes()
    except OSError as exc:
        raise SpreadsheetError(_("Cannot open %(name)s: %(error)s")
                               % {"name": path, "error": exc.strerror}) from exc


# --- the checks an .xlsx passes before it is parsed -------------------------------------------

_P = rb"(?:[\w.-]+:)?"  # a namespace prefix, as some writers use ("x:c")
_FORMULA_WITHOUT_VALUE = re.compile(
    rb"<" + _P + rb"c\b([^>]*)>\s*<" + _P + rb"f\b[^>]*(?:/>|>[^<]*</" + _P + rb"f>)\s*"
    rb"(?:<" + _P + rb"v\s*/>|<" + _P + rb"v>\s*</" + _P + rb"v>)?\s*</" + _P + rb"c>")
_ERROR_CELL = re.compile(
    rb"<" + _P + rb"c\b([^>]*\bt\s*=\s*[\"']e[\"'][^>]*)>(?:(?!</" + _P + rb"c>).){0,10000}?<"
    + _P + rb"v>([^<]{1,40})</" + _P + rb"v>", re.DOTALL)
_REF = re.compile(rb"\br\s*=\s*[\"']([A-Z]{1,3}[0-9]{1,7})[\"']")
_ATTRIBUTE = re.compile(rb"([\w.:-]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_SHEET_TAG = re.compile(rb"<" + _P + rb"sheet\b([^>]*)>")
_RELATIONSHIP_TAG = re.compile(rb"<" + _P + rb"Relationship\b([^>]*)>")


class SheetScan:
    """Looks through a worksheet's XML, chunk by chunk, for the cells refused above."""

    OVERLAP = 64 * 1024  # longer than any formula (Excel: 8,192 characters)
    KEEP = 5

    def __init__(self):
        self.tail = b""
        self.offset = 0  # position in the part of the first byte of ``tail``
        self.seen: set[int] = set()
        self.formulas: list[str] = []
        self.errors: list[tuple[str, str]] = []

    def _ref(self, attributes: bytes) -> str:
        match = _REF.search(attributes)
        return match.group(1).decode("ascii") if match else "?"

    def feed(self, chunk: bytes) -> None:
        buffer = self.tail + chunk
        if len(self.formulas) < self.KEEP and (b"<f" in buffer or b":f" in buffer):
            for match in _FORMULA_WITHOUT_VALUE.finditer(buffer):
                if self.offset + match.start() not in self.seen:
                    self.seen.add(self.offset + match.start())
                    self.formulas.append(self._ref(match.group(1)))
        if len(self.errors) < self.KEEP and (b'"e"' in buffer or b"'e'" in buffer):
            for match in _ERROR_CELL.finditer(buffer):
                if self.offset + match.start() not in self.seen:
                    self.seen.add(self.offset + match.start())
                    self.errors.append((self._ref(match.group(1)),
                                        html.unescape(match.group(2).decode("utf-8", "replace"))))
        keep = min(len(buffer), self.OVERLAP)
        self.offset += len(buffer) - keep
        self.tail = buffer[len(buffer) - keep:]


def _attributes(tag: bytes) -> dict[str, str]:
    out = {}
    for name, double, single in _ATTRIBUTE.findall(tag):
        value = double if double or not single else single
        out[name.decode("utf-8", "replace").rpartition(":")[2]] = html.unescape(
            value.decode("utf-8", "replace"))
    return out


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """{sheet name: its part in the archive}, read from the workbook and its relationships."""
    try:
        workbook = archive.read("xl/workbook.xml")
        rels = archive.read("xl/_rels/workbook.xml.rels")
    except (KeyError, zipfile.BadZipFile, zlib.error):
        return {}
    targets = {}
    for tag in _RELATIONSHIP_TAG.findall(rels):
        attributes = _attributes(tag)
        target = attributes.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else \
            posixpath.normpath(posixpath.join("xl", target))
        targets[attributes.get("Id")] = target
    parts = {}
    for tag in _SHEET_TAG.findall(workbook):
        attributes = _attributes(tag)
        if attributes.get("id") in targets and "name" in attributes:
            parts[attributes["name"]] = targets[attributes["id"]]
    return parts


def inspect_xlsx(content: bytes) -> tuple[dict[str, str], dict[str, SheetScan]]:
    """Check an .xlsx before it is parsed; return its sheets' parts and what they hold.

    Sizes first, from the zip directory; then every part is unpacked once, in
    chunks (never whole in memory), which checks each against its declared size and
    checksum, and the worksheets are looked through for formulas without a value
    and error cells.
    """
    archive = _open_zip(content)
    problem = _zip_problem(archive)
    if problem:
        raise SpreadsheetError(problem)
    infos = archive.infolist()
    unpacked = sum(info.file_size for info in infos)
    if unpacked > MAX_UNPACKED_BYTES:
        raise SpreadsheetError(
            _("The file unpacks to %(size)s MB, more than the %(max)s MB Inquiry reads: it is "
              "refused for safety (a “zip bomb”), or it must be split into smaller files.")
            % {"size": unpacked // _MB, "max": MAX_UNPACKED_BYTES // _MB})
    for info in infos:
        if info.file_size >= BOMB_PART_BYTES and \
                info.file_size > BOMB_RATIO * max(info.compress_size, 1):
            raise SpreadsheetError(
                _("The part “%(part)s” of the file is compressed %(ratio)s times, which no "
                  "real workbook is: the file is refused for safety (a “zip bomb”).")
                % {"part": info.filename, "ratio": info.file_size // max(info.compress_size, 1)})
    scans: dict[str, SheetScan] = {}
    for info in infos:
        if info.is_dir():
            continue
        scan = None
        if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
            scan = scans[info.filename] = SheetScan()
        try:
            with archive.open(info) as part:
                while chunk := part.read(_CHUNK):
                    if scan is not None:
                        scan.feed(chunk)
        except RuntimeError as exc:  # zipfile: "File ... is encrypted, password required"
            raise SpreadsheetError(
                _("The workbook is protected by a password, so it cannot be read. Save it "
                  "again without a password and upload it again.")) from exc
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError,
                NotImplementedError) as exc:
            raise _damaged(_("its part “%(part)s” cannot be unpacked")
                           % {"part": info.filename}) from exc
    return _sheet_parts(archive), scans
