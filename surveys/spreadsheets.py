"""Read the spreadsheets staff upload (.xlsx, .csv) into a ``tablib.Dataset``.

One reader for every import, so that every import copes alike with what real
files contain: a UTF-8 byte-order mark, semicolon-separated CSV as Excel writes it
in many locales, trailing blank rows, and header spellings ("E-mail", "Country ").
Problems are raised as :class:`SpreadsheetError` with a message for staff.

What a file is, is told by its content, not only by its name: an old Excel 97-2003
workbook, an OpenDocument or Apple Numbers file, a PDF, a web page, a
password-protected workbook or a damaged zip is refused with a message that names
it and says how to save it as .xlsx, whatever it is called. Decisions (see also
tests/data/bad/README.md, where each is shown by a file):

* Only .xlsx (and .xlsm) and CSV are read. calamine could read .xls and .ods too,
  but the safety checks below are written for .xlsx, and a "Save as .xlsx" is one
  step for whoever holds the file.
* Bounded memory and time, whatever the file: at most 50 MB as uploaded and 200 MB
  once unpacked; a part of 50 MB or more compressed over 100 times (real sheets
  compress 5 to 20 times) is a "zip bomb". Sizes are checked in the zip directory
  before anything is unpacked, then every part is unpacked once, in chunks, so that
  a part holding more than it declares fails its checksum before the workbook is
  parsed. Rows are read one at a time and blank rows are dropped as they come, so a
  sheet "formatted down to row 1,048,576" costs time, not memory.
* A cell holds at most 32,767 characters, Excel's own limit.
* Formulas: the value Excel saved with the formula is read. A formula without a
  saved value (a file written by a program, never opened in Excel) and a cell
  showing an error (#REF!, #N/A...) are refused: read as blanks they would empty
  answers without a word.
* Merged cells are refused: only the top-left cell of a merged area holds the value,
  so the other rows would read as blank.
* The first visible sheet is read; if it is empty and another sheet has data, the
  message names both.
"""

from __future__ import annotations

import codecs
import csv
import html
import io
import posixpath
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

import tablib
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _

MAX_ROWS = 100_000
MAX_CELLS = 5_000_000  # rows × columns kept in memory
MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell
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


def _binary_problem(content: bytes, *, expected: str) -> str | None:
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


def _check_size(size: int) -> None:
    if size > MAX_FILE_BYTES:
        raise SpreadsheetError(
            _("The file is %(size)s MB, more than the %(max)s MB Inquiry accepts: split it "
              "into smaller files.") % {"size": size // _MB, "max": MAX_FILE_BYTES // _MB})


def file_bytes(path) -> bytes:
    """The content of the file at ``path``, refused before reading if it is too large."""
    path = Path(path)
    try:
        _check_size(path.stat().st_size)
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


class _SheetScan:
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


def _inspect_xlsx(content: bytes) -> tuple[dict[str, str], dict[str, _SheetScan]]:
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
    scans: dict[str, _SheetScan] = {}
    for info in infos:
        if info.is_dir():
            continue
        scan = None
        if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
            scan = scans[info.filename] = _SheetScan()
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


# --- reading a workbook -------------------------------------------------------------------------


def _column_letter(index: int) -> str:
    """0 → A, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _cell_name(row: int, column: int) -> str:
    return f"{_column_letter(column)}{row + 1}"


def is_blank(row: list) -> bool:
    """True if every cell is "" (or None). list.count runs in C: a million rows take
    a fraction of a second."""
    empty = row.count("")
    return empty == len(row) or empty + row.count(None) == len(row)


def _too_long(row: list) -> int | None:
    for index, value in enumerate(row):
        if value.__class__ is str and len(value) > MAX_CELL_CHARS:
            return index
    return None


class Workbook:
    """An .xlsx workbook that passed the checks above, its sheets read row by row."""

    def __init__(self, content: bytes):
        from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

        _check_size(len(content))
        problem = _binary_problem(content, expected="xlsx")
        if problem:
            raise SpreadsheetError(problem)
        self._parts, self._scans = _inspect_xlsx(content)
        try:
            self._book = CalamineWorkbook.from_filelike(io.BytesIO(content))
            self.sheet_names: list[str] = list(self._book.sheet_names)
            # Where a table may be: worksheets staff can see (not hidden, not charts).
            self.visible = [m.name for m in self._book.sheets_metadata
                            if m.visible == SheetVisibleEnum.Visible
                            and m.typ == SheetTypeEnum.WorkSheet] or self.sheet_names
        except Exception as exc:  # calamine raises several types for damaged files
            raise SpreadsheetError(_("The workbook cannot be read: %(error)s")
                                   % {"error": exc}) from exc

    def _sheet(self, name: str):
        try:
            return self._book.get_sheet_by_name(name)
        except Exception as exc:  # calamine raises several types for damaged files
            raise SpreadsheetError(_("The sheet “%(sheet)s” cannot be read: %(error)s")
                                   % {"sheet": name, "error": exc}) from exc

    def _check(self, name: str, sheet) -> None:
        merged = sheet.merged_cell_ranges or []
        if merged:
            areas = ", ".join(f"{_cell_name(*start)}:{_cell_name(*end)}"
                              for start, end in merged[:5])
            raise SpreadsheetError(
                _("The sheet “%(sheet)s” has merged cells (%(areas)s): only the first cell of a "
                  "merged area holds its value. Unmerge them and fill in every cell, then "
                  "import again.") % {"sheet": name, "areas": areas})
        scan = self._scans.get(self._parts.get(name, ""))
        if scan is None and not self._parts:
            # The parts could not be matched to sheet names: every worksheet counts.
            found = [s for s in self._scans.values() if s.formulas or s.errors]
            scan = found[0] if found else None
        if scan is not None and scan.formulas:
            raise SpreadsheetError(
                _("The sheet “%(sheet)s” has formulas whose result is not saved in the file "
                  "(cells %(cells)s), as when a program wrote it and Excel never opened it. "
                  "Open it in Excel and save it (Excel calculates the results), or replace the "
                  "formulas by their values.") % {"sheet": name,
                                                   "cells": ", ".join(scan.formulas)})
        if scan is not None and scan.errors:
            raise SpreadsheetError(
                _("The sheet “%(sheet)s” has cells that show an error instead of a value "
                  "(%(cells)s): correct them, then import again.")
                % {"sheet": name,
                   "cells": ", ".join(f"{ref} {value}" for ref, value in scan.errors)})

    def rows(self, name: str) -> Iterator[tuple[int, list]]:
        """(line, cells) for each row of the sheet that holds something, after its checks.

        Lines count from 1 as Excel numbers them; blank rows are skipped as they come,
        however many. Cells are as calamine gives them ("" when blank); a cell longer
        than :data:`MAX_CELL_CHARS` is refused, naming it.
        """
        sheet = self._sheet(name)
        self._check(name, sheet)
        if sheet.start is None:
            return
        pad = [""] * sheet.start[1]  # calamine's rows begin at the first column with data
        for line, row in enumerate(sheet.iter_rows(), start=1):
            if row.count("") == len(row):  # is_blank(), inlined: a million rows may come
                continue
            if pad:
                row = pad + row
            column = _too_long(row)
            if column is not None:
                raise SpreadsheetError(
                    _("The cell %(cell)s of the sheet “%(sheet)s” holds %(n)s characters; a "
                      "cell holds at most %(max)s (Excel's own limit). Shorten it, then "
                      "import again.")
                    % {"cell": _cell_name(line - 1, column), "sheet": name,
                       "n": f"{len(row[column]):,}", "max": f"{MAX_CELL_CHARS:,}"})
            yield line, row

    def has_data(self, name: str) -> bool:
        sheet = self._sheet(name)
        return sheet.start is not None and not all(is_blank(r) for r in sheet.iter_rows())


# --- tables -----------------------------------------------------------------------------------


def _cell(value) -> object:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value.strip() if isinstance(value, str) else value


def _finish(headers: list, rows: Iterable[list], *, sheet: str | None = None) -> tablib.Dataset:
    headers = [str(h).strip() if h is not None else "" for h in headers]
    if not any(headers):
        raise SpreadsheetError(_("The first row must hold the column names; it is empty."))
    # Trailing columns without a name (a trailing ";" as Excel writes it) are dropped.
    while headers and not headers[-1]:
        headers.pop()
    width = len(headers)
    most = min(MAX_ROWS, MAX_CELLS // width)
    data = tablib.Dataset(headers=headers)
    for row in rows:
        row = [_cell(v) for v in list(row)[:width]]
        row += [""] * (width - len(row))
        if any(v != "" for v in row):
            data.append(row)
        if len(data) > most:
            raise SpreadsheetError(
                _("The file has more than %(max)s rows; split it.") % {"max": most})
    if not len(data):
        if sheet is None:
            raise SpreadsheetError(_("The file has column names but no rows under them."))
        raise SpreadsheetError(_("The sheet “%(sheet)s” has column names but no rows under "
                                 "them.") % {"sheet": sheet})
    return data


def _csv_text(content: bytes) -> str:
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return content.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise SpreadsheetError(
                _("The CSV file is not valid UTF-16 (byte %(pos)s). Save it again as “CSV "
                  "UTF-8”.") % {"pos": exc.start}) from exc
    if b"\x00" in content[:4096]:
        head = content[:4096]
        if head[1::2].count(0) > len(head) // 4 or head[0::2].count(0) > len(head) // 4:
            raise SpreadsheetError(
                _("The CSV file is in UTF-16 without a byte-order mark, which cannot be read "
                  "safely. Save it again as “CSV UTF-8”."))
        raise SpreadsheetError(_("The file is not CSV text: it holds binary data."))
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SpreadsheetError(
            _("The CSV file is not in UTF-8 (byte %(pos)s). Save it again as “CSV UTF-8”.")
            % {"pos": exc.start}) from exc


def _csv_rows(reader) -> Iterator[list]:
    line = 1
    try:
        for row in reader:
            column = _too_long(row)
            if column is not None:
                raise SpreadsheetError(
                    _("Line %(line)s, column %(column)s of the CSV file holds %(n)s characters; "
                      "a cell holds at most %(max)s (Excel's own limit). Shorten it, then "
                      "import again.")
                    % {"line": line + 1, "column": _column_letter(column),
                       "n": f"{len(row[column]):,}", "max": f"{MAX_CELL_CHARS:,}"})
            line = reader.line_num
            yield row
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise SpreadsheetError(
                _("Line %(line)s of the CSV file holds a cell longer than %(max)s characters "
                  "(Excel's own limit), or a quotation mark (\") that is never closed. Correct "
                  "it, then import again.")
                % {"line": line + 1, "max": f"{MAX_CELL_CHARS:,}"}) from exc
        raise SpreadsheetError(
            _("The CSV file cannot be read after line %(line)s: a quotation mark (\") is not "
              "closed, or stands in the middle of a cell. Save it again from Excel as “CSV "
              "UTF-8”.") % {"line": line}) from exc


def read_csv(content: bytes) -> tablib.Dataset:
    _check_size(len(content))
    problem = _binary_problem(content, expected="csv")
    if problem:
        raise SpreadsheetError(problem)
    text = _csv_text(content)
    if not text.strip():
        raise SpreadsheetError(_("The file is empty."))
    first_line = text.lstrip("\r\n").splitlines()[0]
    delimiter = max([",", ";", "\t"], key=first_line.count)
    rows = _csv_rows(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter,
                                strict=True))
    return _finish(next(rows), rows)


def read_xlsx(content: bytes, sheet: str | None = None) -> tablib.Dataset:
    workbook = Workbook(content)
    if sheet is not None:
        match = [n for n in workbook.sheet_names if n.strip().casefold() == sheet.casefold()]
        if not match:
            raise SpreadsheetError(_("The workbook has no sheet named “%(sheet)s”.")
                                   % {"sheet": sheet})
        name = match[0]
    else:
        name = workbook.visible[0]
    rows = workbook.rows(name)
    for line, header in rows:
        if line > 1:
            raise SpreadsheetError(_("The first row must hold the column names; it is empty."))
        return _finish(header, (row for _line, row in rows), sheet=name)
    if sheet is None:
        others = [n for n in workbook.visible if n != name and workbook.has_data(n)]
        if others:
            raise SpreadsheetError(
                _("The first sheet, “%(sheet)s”, is empty: Inquiry reads the first sheet only, "
                  "and the data seems to be on “%(other)s”. Move that sheet first or delete the "
                  "empty one, then import again.") % {"sheet": name, "other": others[0]})
    raise SpreadsheetError(_("The sheet “%(sheet)s” is empty.") % {"sheet": name})


def read_table(source, *, filename: str | None = None, sheet: str | None = None) -> tablib.Dataset:
    """Read a .xlsx or .csv file (a path, or bytes with its ``filename``) into a Dataset."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        filename = filename or path.name
        content = file_bytes(path)
    else:
        content = source
    suffix = Path(filename or "").suffix.lower()
    if suffix == ".csv":
        return read_csv(content)
    if suffix in (".xlsx", ".xlsm"):
        return read_xlsx(content, sheet=sheet)
    _check_size(len(content))
    problem = _binary_problem(content, expected="other")
    raise SpreadsheetError(problem or _("Unsupported file type “%(suffix)s”: use .xlsx or .csv.")
                           % {"suffix": suffix or filename})


def canonical_headers(dataset: tablib.Dataset, synonyms: dict[str, str]) -> None:
    """Rename headers in place to the canonical column names (case, spaces, synonyms)."""
    renamed = []
    for header in dataset.headers:
        key = " ".join(str(header).replace("_", " ").replace("-", " ").split()).casefold()
        name = synonyms.get(key, key.replace(" ", "_"))
        if name in renamed:
            raise SpreadsheetError(
                _("Two columns mean “%(name)s” (“%(first)s” and “%(second)s”): keep one.")
                % {"name": name, "first": dataset.headers[renamed.index(name)],
                   "second": header})
        renamed.append(name)
    dataset.headers = renamed


# --- uploads ----------------------------------------------------------------------------------


@deconstructible
class UploadValidator:
    """The admin's check of an uploaded file: its size, and an extension among ``allowed``
    (any, if None), before anything reads the whole file.

    A file of a known kind under another name (.xls, .ods, .numbers, a PDF) gets the
    reader's own message, which says how to save it as .xlsx, rather than a bare
    "extension not allowed".
    """

    def __init__(self, allowed: list[str] | None = None):
        self.allowed = [extension.lower() for extension in allowed] if allowed else None

    def __call__(self, upload) -> None:
        try:
            _check_size(upload.size or 0)
        except SpreadsheetError as exc:
            raise ValidationError(str(exc), code="too_large") from exc
        if self.allowed is None or \
                Path(upload.name or "").suffix.lower().lstrip(".") in self.allowed:
            return
        problem = None
        if upload.size:
            upload.seek(0)
            content = upload.read()
            upload.seek(0)
            try:
                problem = _binary_problem(content, expected="other")
            except SpreadsheetError as exc:
                problem = str(exc)
        if problem:
            raise ValidationError(problem, code="invalid_extension")
        FileExtensionValidator(self.allowed)(upload)

    def __eq__(self, other):
        return isinstance(other, UploadValidator) and self.allowed == other.allowed
