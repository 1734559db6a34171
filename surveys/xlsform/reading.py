"""An XLSForm workbook read into rows, and the checks of single cells, with the place
(sheet and row) of every problem for staff."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from surveys.cells import unescape
from surveys.languages import LANGUAGE_CODES, language_from_text
from surveys.spreadsheets import SpreadsheetError, Workbook
from surveys.xlsform.format import CODES_FROM_XLSFORM, LANGUAGE_SPEC, XLSFORM_SHEETS, XlsformError


@dataclass
class Column:
    header: str  # as written in the file
    base: str  # "label", "type", "media"...
    language: str | None = None  # for translated columns


@dataclass
class Sheet:
    name: str
    columns: list[Column]
    rows: list[tuple[int, list]]  # (line number in the sheet, cells)

    def values(self, row: list, base: str) -> dict[str | None, str]:
        """The texts of a translated column ``base`` in one row: {language: text}."""
        return {c.language: row[i] for i, c in enumerate(self.columns)
                if c.base == base and row[i] != ""}

    def value(self, row: list, base: str):
        for i, column in enumerate(self.columns):
            if column.base == base and column.language is None:
                return row[i]
        return ""


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return unescape(value.strip())
    return value


def _read_sheets(content: bytes) -> dict[str, tuple[str, list[list]]]:
    """The sheets by folded name: (name as written, rows from line 1).

    Through the shared reader's checks (what the file is, its size, merged cells,
    formulas without a value...); only the sheets Inquiry reads are read, and blank
    rows after the last row that holds something are never kept.
    """
    try:
        workbook = Workbook(content)
        sheets = {}
        for name in workbook.sheet_names:
            key = name.strip().casefold()
            sheets[key] = (name, _sheet_rows(workbook, name) if key in XLSFORM_SHEETS else [])
    except SpreadsheetError as exc:
        raise XlsformError([_("The file cannot be read as an XLSForm workbook (.xlsx). "
                              "%(problem)s") % {"problem": exc}]) from exc
    return sheets


def _sheet_rows(workbook: Workbook, name: str) -> list[list]:
    rows = []
    for line, row in workbook.rows(name):  # the rows that hold something, with their line
        rows.extend([[]] * (line - 1 - len(rows)))  # one shared blank row, never changed
        rows.append([_cell(v) for v in row])
    return rows


def _where(sheet: str, line: int) -> str:
    return _("%(sheet)s sheet, row %(row)s") % {"sheet": sheet, "row": line}


def parse_language(spec: str) -> str | None:
    match = LANGUAGE_SPEC.match(spec.strip())
    if match:
        return CODES_FROM_XLSFORM.get(match["code"].lower().replace("_", "-"))
    return language_from_text(spec)


def rows_text(lines: list[int]) -> str:
    shown = ", ".join(str(n) for n in lines[:10])
    if len(lines) > 10:
        shown += " " + _("and %(n)s more") % {"n": len(lines) - 10}
    return shown


class Reader:
    """Reads the sheets into plain data, collecting every error and warning."""

    TRANSLATED = {"label", "hint", "title", "introduction", "guidance_hint",
                  "constraint_message", "required_message", "media"}

    def __init__(self, content: bytes):
        self.errors: list[str] = []
        self.warnings: list[str] = []
        self.sheets = _read_sheets(content)
        self.default_language = "en"

    def error(self, sheet: str, line: int | None, message: str) -> None:
        self.errors.append(f"{_where(sheet, line)}: {message}" if line else f"{sheet}: {message}")

    def sheet(self, name: str) -> Sheet | None:
        if name not in self.sheets:
            return None
        real_name, rows = self.sheets[name]
        if not rows:
            return Sheet(real_name, [], [])
        columns, seen = [], {}
        for header in rows[0]:
            header = str(header).strip()
            base, _sep, spec = header.partition("::")
            base = base.strip().casefold().replace(" ", "_")
            if base == "list_name" or base == "list":
                base = "list_name"
            language = None
            if base in self.TRANSLATED and base != "media":
                if spec:
                    language = parse_language(spec)
                    if language is None:
                        self.error(name, 1, _("column “%(header)s”: unknown language "
                                              "“%(spec)s”; use one of ar, zh, en, fr, ru, es, "
                                              "as in “label::French (fr)”.")
                                   % {"header": header, "spec": spec.strip()})
                else:
                    language = self.default_language
            key = (base, language)
            if header and key in seen and base in self.TRANSLATED | {"type", "name", "required",
                                                                     "list_name"}:
                self.error(name, 1, _("columns “%(a)s” and “%(b)s” hold the same thing.")
                           % {"a": seen[key], "b": header})
            seen.setdefault(key, header)
            columns.append(Column(header, base, language))
        width = len(columns)
        body = []
        for index, row in enumerate(rows[1:], start=2):
            row = (list(row) + [""] * width)[:width]
            if any(v != "" for v in row):
                body.append((index, row))
        return Sheet(real_name, columns, body)

    def texts(self, sheet: Sheet, row: list, base: str, line: int) -> dict[str, str]:
        texts = {lang: str(text) for lang, text in sheet.values(row, base).items() if lang}
        for text in texts.values():
            if "${" in text:
                self.error(sheet.name, line, _("the text “%(text)s” refers to another answer "
                                               "(${…}), which Inquiry cannot show.")
                           % {"text": text})
                break
        return texts

    def check_code(self, model, field_name: str, value, sheet: str, line: int) -> str:
        value = str(value)
        try:
            model._meta.get_field(field_name).run_validators(value)
        except ValidationError as exc:
            self.error(sheet, line, _("name “%(name)s”: %(problems)s")
                       % {"name": value, "problems": " ".join(exc.messages)})
        return value


def parse_date(value, reader: Reader, sheet: str, line: int, column: str):
    if value in ("", None):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value).strip())
    except ValueError:
        reader.error(sheet, line, _("column “%(column)s”: “%(value)s” is not a date (write it as "
                                 "2008-04-30).") % {"column": column, "value": value})
        return None


def parse_languages(value, reader: Reader, sheet: str, line: int) -> list[str]:
    codes = []
    for item in re.split(r"[,;\n]+", str(value)):
        item = item.strip()
        parts = [item] if LANGUAGE_SPEC.match(item) else item.split()
        for part in parts:
            code = parse_language(part)
            if code is None:
                reader.error(sheet, line, _("column “languages”: unknown language “%(name)s”.")
                             % {"name": part})
            elif code not in codes:
                codes.append(code)
    return [code for code in LANGUAGE_CODES if code in codes]
