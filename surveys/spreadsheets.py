"""Read the spreadsheets staff upload (.xlsx, .csv) into a ``tablib.Dataset``.

One reader for every import, so that every import copes alike with what real
files contain: a UTF-8 byte-order mark, semicolon-separated CSV as Excel writes it
in many locales, trailing blank rows, and header spellings ("E-mail", "Country ").
Problems are raised as :class:`SpreadsheetError` with a message for staff.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import tablib
from django.utils.translation import gettext as _

MAX_ROWS = 100_000


class SpreadsheetError(ValueError):
    """The file cannot be read as a table; the message says why, for staff."""


def _cell(value) -> object:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value.strip() if isinstance(value, str) else value


def _finish(headers: list, rows: list[list]) -> tablib.Dataset:
    headers = [str(h).strip() if h is not None else "" for h in headers]
    if not any(headers):
        raise SpreadsheetError(_("The first row must hold the column names; it is empty."))
    # Trailing columns without a name (a trailing ";" as Excel writes it) are dropped.
    while headers and not headers[-1]:
        headers.pop()
    width = len(headers)
    data = tablib.Dataset(headers=headers)
    for row in rows:
        row = [_cell(v) for v in list(row)[:width]]
        row += [""] * (width - len(row))
        if any(v != "" for v in row):
            data.append(row)
        if len(data) > MAX_ROWS:
            raise SpreadsheetError(
                _("The file has more than %(max)s rows; split it.") % {"max": MAX_ROWS})
    return data


def read_csv(content: bytes) -> tablib.Dataset:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SpreadsheetError(
            _("The CSV file is not in UTF-8 (byte %(pos)s). Save it again as “CSV UTF-8”.")
            % {"pos": exc.start}) from exc
    if not text.strip():
        raise SpreadsheetError(_("The file is empty."))
    first_line = text.splitlines()[0]
    delimiter = max([",", ";", "\t"], key=first_line.count)
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    return _finish(rows[0], rows[1:])


def read_xlsx(content: bytes, sheet: str | None = None) -> tablib.Dataset:
    from python_calamine import CalamineWorkbook

    if not zipfile.is_zipfile(io.BytesIO(content)):
        raise SpreadsheetError(_("The file is not an Excel workbook (.xlsx)."))
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
        names = workbook.sheet_names
        if sheet is not None:
            match = [n for n in names if n.strip().casefold() == sheet.casefold()]
            if not match:
                raise SpreadsheetError(_("The workbook has no sheet named “%(sheet)s”.")
                                       % {"sheet": sheet})
            name = match[0]
        else:
            name = names[0]
        rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except SpreadsheetError:
        raise
    except Exception as exc:  # calamine raises several types for damaged files
        message = _("The workbook cannot be read: %(error)s") % {"error": exc}
        raise SpreadsheetError(message) from exc
    if not rows:
        raise SpreadsheetError(_("The sheet “%(sheet)s” is empty.") % {"sheet": name})
    return _finish(rows[0], rows[1:])


def read_table(source, *, filename: str | None = None, sheet: str | None = None) -> tablib.Dataset:
    """Read a .xlsx or .csv file (a path, or bytes with its ``filename``) into a Dataset."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        filename = filename or path.name
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise SpreadsheetError(_("Cannot open %(name)s: %(error)s")
                                   % {"name": path, "error": exc.strerror}) from exc
    else:
        content = source
    suffix = Path(filename or "").suffix.lower()
    if suffix == ".csv":
        return read_csv(content)
    if suffix in (".xlsx", ".xlsm"):
        return read_xlsx(content, sheet=sheet)
    raise SpreadsheetError(_("Unsupported file type “%(suffix)s”: use .xlsx or .csv.")
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
