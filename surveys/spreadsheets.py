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

What a file is and whether an .xlsx is safe to parse is checked first, in
:mod:`surveys.file_checks`.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import tablib
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _

from surveys.file_checks import (
    MAX_FILE_BYTES,
    MAX_UNPACKED_BYTES,
    SpreadsheetError,
    check_size,
    content_problem,
    file_bytes,
    inspect_xlsx,
)

__all__ = ["MAX_CELL_CHARS", "MAX_FILE_BYTES", "MAX_ROWS", "MAX_UNPACKED_BYTES",
           "SpreadsheetError", "Table", "UploadValidator", "Workbook", "canonical_headers",
           "csv_table", "file_bytes", "is_blank", "read_csv", "read_rows", "read_table",
           "read_xlsx", "xlsx_table"]

MAX_ROWS = 100_000
MAX_CELLS = 5_000_000  # rows × columns kept in memory
MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell


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


def _cell_too_long(sheet: str, line: int, column: int, value: str) -> SpreadsheetError:
    return SpreadsheetError(
        _("The cell %(cell)s of the sheet “%(sheet)s” holds %(n)s characters; a cell holds "
          "at most %(max)s (Excel's own limit). Shorten it, then import again.")
        % {"cell": _cell_name(line - 1, column), "sheet": sheet, "n": f"{len(value):,}",
           "max": f"{MAX_CELL_CHARS:,}"})


class Workbook:
    """An .xlsx workbook that passed the checks above, its sheets read row by row."""

    def __init__(self, content: bytes):
        from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

        check_size(len(content))
        problem = content_problem(content, expected="xlsx")
        if problem:
            raise SpreadsheetError(problem)
        self._parts, self._scans = inspect_xlsx(content)
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

    def rows(self, name: str, *, check_length: bool = True) -> Iterator[tuple[int, list]]:
        """(line, cells) for each row of the sheet that holds something, after its checks.

        Lines count from 1 as Excel numbers them; blank rows are skipped as they come,
        however many. Cells are as calamine gives them ("" when blank); a cell longer
        than :data:`MAX_CELL_CHARS` is refused, naming it (unless ``check_length`` is
        False: :func:`read_rows` checks it as it cleans the cells, in the same pass).
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
            if check_length:
                column = _too_long(row)
                if column is not None:
                    raise _cell_too_long(name, line, column, row[column])
            yield line, row

    def has_data(self, name: str) -> bool:
        sheet = self._sheet(name)
        return sheet.start is not None and not all(is_blank(r) for r in sheet.iter_rows())


# --- tables -----------------------------------------------------------------------------------


@dataclass(slots=True)
class Table:
    """A sheet as importers read it: the column names and the rows under them.

    Every row is as wide as the header; cells are text (stripped), whole numbers as
    ``int``, other numbers, dates and booleans as the reader gives them, and "" for
    a blank. Rows with nothing in them are left out.
    """

    headers: list[str]
    rows: list[list]
    lines: list[int]  # each row's line in the file (the header is line 1), blank lines counted

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)


def _clean(row: list) -> list:
    """A row's cells as :class:`Table` holds them, in one pass over the row.

    A text longer than :data:`MAX_CELL_CHARS` becomes None (no cell is None
    otherwise), for the caller to refuse: ``None in row`` is then one check in C.
    """
    return [(v.strip() if len(v) <= MAX_CELL_CHARS else None) if v.__class__ is str
            else "" if v is None
            else int(v) if v.__class__ is float and v.is_integer()
            else v
            for v in row]


def _table(headers: list, rows: Iterable[tuple[int, list]], *, sheet: str | None = None) -> Table:
    """The :class:`Table` of ``headers`` and ``rows`` ((line, cells) pairs), bounded in size.

    Each row's cells are cleaned and checked in a single pass (tens of thousands of rows
    of twenty-odd cells come through here)."""
    headers = [str(h).strip() if h is not None else "" for h in headers]
    if not any(headers):
        raise SpreadsheetError(_("The first row must hold the column names; it is empty."))
    # Trailing columns without a name (a trailing ";" as Excel writes it) are dropped.
    while headers and not headers[-1]:
        headers.pop()
    width = len(headers)
    most = min(MAX_ROWS, MAX_CELLS // width)
    kept: list[list] = []
    lines: list[int] = []
    for line, row in rows:
        cells = _clean(row if len(row) <= width else row[:width])
        if None in cells:
            column = cells.index(None)
            raise _cell_too_long(sheet or "", line, column, row[column])
        if len(cells) < width:
            cells += [""] * (width - len(cells))
        if cells.count("") == width:
            continue
        kept.append(cells)
        lines.append(line)
        if len(kept) > most:
            raise SpreadsheetError(
                _("The file has more than %(max)s rows; split it.") % {"max": most})
    if not kept:
        if sheet is None:
            raise SpreadsheetError(_("The file has column names but no rows under them."))
        raise SpreadsheetError(_("The sheet “%(sheet)s” has column names but no rows under "
                                 "them.") % {"sheet": sheet})
    return Table(headers, kept, lines)


def _dataset(table: Table) -> tablib.Dataset:
    """A Dataset of the table; ``dataset.lines`` keeps each row's line in the file, so that
    a problem is reported where staff see it (blank lines above it included)."""
    data = tablib.Dataset(headers=table.headers)
    for row in table.rows:
        data.append(row)
    data.lines = list(table.lines)
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


def _csv_rows(reader) -> Iterator[tuple[int, list]]:
    """(line, cells) for each record of the CSV file, the line being where it starts."""
    line = 0
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
            start, line = line + 1, reader.line_num
            yield start, row
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
              "UTF-8”.") % {"line": max(line, 1)}) from exc


def read_csv(content: bytes) -> tablib.Dataset:
    return _dataset(csv_table(content))


def read_xlsx(content: bytes, sheet: str | None = None) -> tablib.Dataset:
    return _dataset(xlsx_table(content, sheet))


def csv_table(content: bytes) -> Table:
    check_size(len(content))
    problem = content_problem(content, expected="csv")
    if problem:
        raise SpreadsheetError(problem)
    text = _csv_text(content)
    if not text.strip():
        raise SpreadsheetError(_("The file is empty."))
    first_line = text.lstrip("\r\n").splitlines()[0]
    delimiter = max([",", ";", "\t"], key=first_line.count)
    rows = _csv_rows(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter,
                                strict=True))
    # _csv_rows refuses long cells with the CSV's own line numbers: none is left here.
    return _table(next(rows)[1], rows)


def xlsx_table(content: bytes, sheet: str | None = None) -> Table:
    workbook = Workbook(content)
    if sheet is not None:
        match = [n for n in workbook.sheet_names if n.strip().casefold() == sheet.casefold()]
        if not match:
            raise SpreadsheetError(_("The workbook has no sheet named “%(sheet)s”.")
                                   % {"sheet": sheet})
        name = match[0]
    else:
        name = workbook.visible[0]
    rows = workbook.rows(name, check_length=False)
    for line, header in rows:
        if line > 1:
            raise SpreadsheetError(_("The first row must hold the column names; it is empty."))
        column = _too_long(header)
        if column is not None:
            raise _cell_too_long(name, line, column, header[column])
        return _table(header, rows, sheet=name)
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
    return _dataset(read_rows(source, filename=filename, sheet=sheet))


def read_rows(source, *, filename: str | None = None, sheet: str | None = None) -> Table:
    """Read a .xlsx or .csv file (a path, or bytes with its ``filename``) into a
    :class:`Table`: what :func:`read_table` reads, without building a Dataset (the
    reply import reads tens of thousands of rows and needs only the cells)."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        filename = filename or path.name
        content = file_bytes(path)
    else:
        content = source
    suffix = Path(filename or "").suffix.lower()
    if suffix == ".csv":
        return csv_table(content)
    if suffix in (".xlsx", ".xlsm"):
        return xlsx_table(content, sheet=sheet)
    check_size(len(content))
    problem = content_problem(content, expected="other")
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
            check_size(upload.size or 0)
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
                problem = content_problem(content, expected="other")
            except SpreadsheetError as exc:
                problem = str(exc)
        if problem:
            raise ValidationError(problem, code="invalid_extension")
        FileExtensionValidator(self.allowed)(upload)

    def __eq__(self, other):
        return isinstance(other, UploadValidator) and self.allowed == other.allowed
