"""A questionnaire as an XLSForm workbook (.xlsx), out and back in.

XLSForm is the spreadsheet convention of ODK, KoboToolbox, SurveyCTO and others: a
``survey`` sheet (one row per question, ``type``, ``name``, ``label::English (en)``,
``hint::…``, ``required``), a ``choices`` sheet (``list_name``, ``name``, labels) and a
``settings`` sheet. Writing and reading it lets staff reuse forms drafted in those
tools and draft or translate a questionnaire in a spreadsheet.

Inquiry adds columns of its own to ``settings`` (reference, dates, languages,
reminder schedule, translated title and introduction) so that an export imported
again gives the same questionnaire. What XLSForm can express and Inquiry cannot is
never dropped quietly: a feature that would change what is asked (skip logic,
answer checks, calculations, repeats...) refuses the file, listing every row; a
cosmetic one (appearance, media, notes) is imported without it and reported.
"""

from __future__ import annotations

import datetime
import io
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from surveys.cells import formula_safe, unescape
from surveys.languages import LANGUAGE_CODES, language_from_text
from surveys.models import YES_NO_CHOICES, Choice, Question, Questionnaire, ReminderRule, Section
from surveys.reply_form import questionnaire_layout
from surveys.spreadsheets import SpreadsheetError, Workbook

# Column headers are a file format, not user interface: language names stay English.
LANGUAGE_NAMES = {"ar": "Arabic", "zh-hans": "Chinese", "en": "English", "fr": "French",
                  "ru": "Russian", "es": "Spanish"}
XLSFORM_CODES = {"zh-hans": "zh"}  # XLSForm (and ISO 639-1) call Chinese "zh"
CODES_FROM_XLSFORM = {"ar": "ar", "zh": "zh-hans", "zh-hans": "zh-hans", "en": "en", "fr": "fr",
                      "ru": "ru", "es": "es"}

TYPE_TO_XLSFORM = {Question.Type.TEXT: "text", Question.Type.NUMBER: "decimal",
                   Question.Type.DATE: "date", Question.Type.FILE: "file"}
XLSFORM_TO_TYPE = {"text": Question.Type.TEXT, "string": Question.Type.TEXT,
                   "decimal": Question.Type.NUMBER, "integer": Question.Type.NUMBER,
                   "int": Question.Type.NUMBER, "date": Question.Type.DATE,
                   "file": Question.Type.FILE}
YES_NO_LIST = "yes_no"
YES_NO_VALUES = {value for value, _labels in YES_NO_CHOICES}

# Types that carry no question: data a phone records by itself. Ignoring them changes
# nothing a government is asked (Inquiry records who replied and when on its own).
METADATA_TYPES = {"start", "end", "today", "deviceid", "subscriberid", "simserial",
                  "phonenumber", "username", "email", "audit", "start-geopoint",
                  "background-geopoint"}


def _refused_columns() -> dict[str, str]:
    """Survey columns that change what is asked or accepted: the file is refused."""
    return {
        "relevant": _("showing a question only in some cases (skip logic)"),
        "constraint": _("checking the answer against a condition"),
        "calculation": _("calculating a value"),
        "repeat_count": _("repeating questions"),
        "choice_filter": _("filtering choices by an earlier answer"),
        "read_only": _("read-only questions"),
        "trigger": _("updating a question when another is answered"),
        "bind": _("custom form settings (bind::)"),
    }


# Survey columns that only change how things look or what staff read: imported
# without them, and reported. Other unknown columns are reported as unknown.
COSMETIC_COLUMNS = {"appearance", "guidance_hint", "constraint_message", "required_message",
                    "media", "image", "audio", "video", "big-image", "default", "parameters",
                    "autoplay", "body", "instance"}
IGNORED_SETTINGS = {"version", "instance_name", "style", "public_key", "submission_url",
                    "allow_choice_duplicates", "namespaces", "auto_send", "auto_delete",
                    "clean_text_values", "omit_instanceID"}
TRUE_VALUES = {"yes", "true", "true()", "1", "y"}
FALSE_VALUES = {"", "no", "false", "false()", "0", "n"}
LANGUAGE_SPEC = re.compile(r"^(?P<name>.*?)\s*\(\s*(?P<code>[A-Za-z]{2,3}(?:[-_][A-Za-z]+)?)\s*\)$")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSFORM_SHEETS = ("survey", "choices", "settings")  # the others are only named in a warning


class XlsformError(ValueError):
    """The workbook was refused; ``messages`` lists every problem, naming sheet and row."""

    def __init__(self, messages: list[str]):
        self.messages = list(messages)
        super().__init__("\n".join(self.messages))


@dataclass
class XlsformReport:
    """What an import did, and what it imported without (cosmetic features)."""

    code: str = ""
    sections: int = 0
    questions: int = 0
    choices: int = 0
    languages: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return _("Questionnaire %(code)s: %(sections)s section(s), %(questions)s question(s), "
                 "%(choices)s choice(s) in %(languages)s.") % {
            "code": self.code, "sections": self.sections, "questions": self.questions,
            "choices": self.choices, "languages": ", ".join(self.languages)}


def language_header(kind: str, language: str) -> str:
    """``label::French (fr)``: XLSForm's header for a text in one language."""
    return f"{kind}::{_language_label(language)}"


def _language_label(language: str) -> str:
    """``French (fr)``: how XLSForm names a language in headers and ``default_language``."""
    return f"{LANGUAGE_NAMES[language]} ({XLSFORM_CODES.get(language, language)})"


# --- export ------------------------------------------------------------------------------------


def _export_languages(questionnaire: Questionnaire) -> list[str]:
    """The offered languages, the main one first (tools show the first column first)."""
    offered = [c for c in LANGUAGE_CODES if c in (questionnaire.languages or [])]
    main = questionnaire.default_language
    return ([main] if main in offered else []) + [c for c in offered if c != main]


def _texts(value: dict | None, languages: list[str]) -> list[str]:
    value = value or {}
    return [value.get(code, "") for code in languages]


def _choice_lists(layout, languages) -> tuple[dict[int, str], list[tuple[str, list]]]:
    """One list per distinct set of choices: ``{question pk: list name}`` and the lists."""
    names_by_key: dict[tuple, str] = {}
    lists: list[tuple[str, list]] = []
    of_question: dict[int, str] = {}
    for _section, questions in layout:
        for question in questions:
            if not question.has_choices:
                continue
            choices = [(c.value, c.label) for c in question.choices.all()]
            if question.type == Question.Type.YES_NO and not choices:
                choices = list(YES_NO_CHOICES)
            key = tuple((value, tuple(_texts(label, languages))) for value, label in choices)
            if key not in names_by_key:
                wanted = YES_NO_LIST if question.type == Question.Type.YES_NO else question.code
                name, number = wanted, 1
                while name in names_by_key.values():
                    number += 1
                    name = f"{wanted}_{number}"
                names_by_key[key] = name
                lists.append((name, choices))
            of_question[question.pk] = names_by_key[key]
    return of_question, lists


def _sheet(workbook, title, headers, rows, *, first=False):
    from openpyxl.styles import Font

    sheet = workbook.active if first else workbook.create_sheet()
    sheet.title = title
    sheet.append(headers)
    for row in rows:
        sheet.append([formula_safe(v) for v in row])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for cell, header in zip(sheet[1], headers, strict=True):
        width = 40 if "::" in header else max(12, len(header) + 2)
        sheet.column_dimensions[cell.column_letter].width = width
    return sheet


def questionnaire_to_xlsform(questionnaire: Questionnaire) -> bytes:
    """The questionnaire as an XLSForm workbook (``survey``, ``choices``, ``settings``)."""
    from openpyxl import Workbook

    languages = _export_languages(questionnaire)
    layout = questionnaire_layout(questionnaire)
    list_of, lists = _choice_lists(layout, languages)
    blank = [""] * len(languages)

    survey = []
    for section, questions in layout:
        if section is not None:
            survey.append(["begin group", section.code, *_texts(section.title, languages),
                           *blank, ""])
        for q in questions:
            if q.type == Question.Type.MULTIPLE:
                kind = f"select_multiple {list_of[q.pk]}"
            elif q.has_choices:
                kind = f"select_one {list_of[q.pk]}"
            else:
                kind = TYPE_TO_XLSFORM[q.type]
            survey.append([kind, q.code, *_texts(q.text, languages),
                           *_texts(q.help_text, languages), "yes" if q.required else ""])
        if section is not None:
            survey.append(["end group", "", *blank, *blank, ""])
    choices = [[name, value, *_texts(label, languages)]
               for name, entries in lists for value, label in entries]
    settings = [
        questionnaire.title_text(questionnaire.default_language), questionnaire.code,
        _language_label(questionnaire.default_language),
        " ".join(XLSFORM_CODES.get(c, c) for c in languages), questionnaire.reference,
        questionnaire.sent_on, questionnaire.deadline, questionnaire.cutoff,
        questionnaire.max_reminders,
        " ".join(str(r.days_from_deadline) for r in questionnaire.reminder_rules.all()),
        *_texts(questionnaire.title, languages), *_texts(questionnaire.introduction, languages)]

    workbook = Workbook()
    labels = [language_header("label", c) for c in languages]
    _sheet(workbook, "survey",
           ["type", "name", *labels, *[language_header("hint", c) for c in languages],
            "required"], survey, first=True)
    _sheet(workbook, "choices", ["list_name", "name", *labels], choices)
    sheet = _sheet(workbook, "settings",
                   ["form_title", "form_id", "default_language", "languages", "reference",
                    "sent_on", "deadline", "cutoff", "max_reminders", "reminder_days",
                    *[language_header("title", c) for c in languages],
                    *[language_header("introduction", c) for c in languages]], [settings])
    for cell in sheet[2][5:8]:
        cell.number_format = "yyyy-mm-dd"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- reading -----------------------------------------------------------------------------------


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


def _parse_language(spec: str) -> str | None:
    match = LANGUAGE_SPEC.match(spec.strip())
    if match:
        return CODES_FROM_XLSFORM.get(match["code"].lower().replace("_", "-"))
    return language_from_text(spec)


def _rows_text(lines: list[int]) -> str:
    shown = ", ".join(str(n) for n in lines[:10])
    if len(lines) > 10:
        shown += " " + _("and %(n)s more") % {"n": len(lines) - 10}
    return shown


class _Reader:
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
                    language = _parse_language(spec)
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


def _parse_date(value, reader: _Reader, sheet: str, line: int, column: str):
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


def _parse_languages(value, reader: _Reader, sheet: str, line: int) -> list[str]:
    codes = []
    for item in re.split(r"[,;\n]+", str(value)):
        item = item.strip()
        parts = [item] if LANGUAGE_SPEC.match(item) else item.split()
        for part in parts:
            code = _parse_language(part)
            if code is None:
                reader.error(sheet, line, _("column “languages”: unknown language “%(name)s”.")
                             % {"name": part})
            elif code not in codes:
                codes.append(code)
    return [code for code in LANGUAGE_CODES if code in codes]


# --- import ------------------------------------------------------------------------------------


@dataclass
class _Plan:
    """Everything the file says, checked, before anything is written."""

    questionnaire: Questionnaire
    sections: list[Section] = field(default_factory=list)
    # (question, its choice list's name, its section)
    questions: list[tuple[Question, str | None, Section | None]] = field(default_factory=list)
    lists: dict[str, list[tuple[str, dict]]] = field(default_factory=dict)
    reminder_days: list[int] = field(default_factory=list)


SETTINGS_COLUMNS = {"form_title", "form_id", "default_language", "languages", "reference",
                    "sent_on", "deadline", "cutoff", "max_reminders", "reminder_days", "title",
                    "introduction", ""}


def _settings_default_language(reader: _Reader) -> str | None:
    """The ``default_language`` setting, read first: bare ``label`` columns depend on it."""
    _name, rows = reader.sheets.get("settings", ("settings", []))
    if len(rows) < 2:
        return None
    for header, value in zip(rows[0], rows[1], strict=False):
        if str(header).strip().casefold() == "default_language" and value != "":
            language = _parse_language(str(value))
            if language is None:
                reader.error("settings", 2, _("column “default_language”: unknown language "
                                              "“%(name)s”.") % {"name": value})
            return language
    return None


def _read_settings(reader: _Reader, code: str | None,
                   update: Questionnaire | None) -> tuple[Questionnaire, list[int]]:
    reader.default_language = _settings_default_language(reader) or "en"
    sheet = reader.sheet("settings")
    name = sheet.name if sheet else "settings"
    line, row = sheet.rows[0] if sheet and sheet.rows else (2, None)
    if sheet and len(sheet.rows) > 1:
        reader.warnings.append(_("settings sheet: only the first row under the headers is read."))

    def get(base):
        return sheet.value(row, base) if row else ""

    questionnaire = update or Questionnaire()
    questionnaire.code = code or (update.code if update else str(get("form_id") or ""))
    if not questionnaire.code:
        reader.errors.append(_("No code for the questionnaire: give one (form_id in the "
                               "settings sheet, or the code option)."))
    questionnaire.default_language = reader.default_language
    title = reader.texts(sheet, row, "title", line) if row else {}
    if get("form_title") != "" and not title.get(reader.default_language):
        title[reader.default_language] = str(get("form_title"))
    questionnaire.title = title
    questionnaire.introduction = reader.texts(sheet, row, "introduction", line) if row else {}
    questionnaire.reference = str(get("reference"))
    questionnaire.sent_on = _parse_date(get("sent_on"), reader, name, line, "sent_on")
    questionnaire.deadline = _parse_date(get("deadline"), reader, name, line, "deadline")
    questionnaire.cutoff = _parse_date(get("cutoff"), reader, name, line, "cutoff")
    questionnaire.languages = (_parse_languages(get("languages"), reader, name, line)
                               if get("languages") != "" else [])
    if get("max_reminders") != "":
        value = get("max_reminders")
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            questionnaire.max_reminders = value
        else:
            reader.error(name, line, _("column “max_reminders”: a whole number is expected."))
    days = []
    for item in re.split(r"[\s,;]+", str(get("reminder_days")).strip()):
        if not item:
            continue
        try:
            days.append(int(item))
        except ValueError:
            reader.error(name, line, _("column “reminder_days”: “%(value)s” is not a number of "
                                       "days.") % {"value": item})
    for i, column in enumerate(sheet.columns if row else []):
        if row[i] == "" or column.base in SETTINGS_COLUMNS:
            continue
        if column.base in IGNORED_SETTINGS:
            reader.warnings.append(_("settings sheet: “%(column)s” is not used by Inquiry and was "
                                     "ignored.") % {"column": column.header})
        else:
            reader.warnings.append(_("settings sheet: unknown column “%(column)s” was ignored.")
                                   % {"column": column.header})
    return questionnaire, sorted(set(days))


def _read_choices(reader: _Reader) -> dict[str, list[tuple[str, dict, int]]]:
    sheet = reader.sheet("choices")
    lists: dict[str, list[tuple[str, dict, int]]] = {}
    if sheet is None:
        return lists
    cosmetic: dict[str, list[int]] = {}
    for line, row in sheet.rows:
        list_name, value = str(sheet.value(row, "list_name")), sheet.value(row, "name")
        if not list_name:
            reader.error(sheet.name, line, _("the list_name is missing."))
            continue
        if value == "":
            reader.error(sheet.name, line, _("the choice has no name (its value)."))
            continue
        value = reader.check_code(Choice, "value", value, sheet.name, line)
        labels = reader.texts(sheet, row, "label", line)
        if not labels:
            reader.error(sheet.name, line, _("the choice “%(name)s” has no label.")
                         % {"name": value})
        entries = lists.setdefault(list_name, [])
        if any(v == value for v, _l, _n in entries):
            reader.error(sheet.name, line, _("the list “%(list)s” has the name “%(name)s” twice.")
                         % {"list": list_name, "name": value})
        entries.append((value, labels, line))
        for i, column in enumerate(sheet.columns):
            if column.base not in {"list_name", "name", "label"} and row[i] != "":
                cosmetic.setdefault(column.header, []).append(line)
    for header, lines in cosmetic.items():
        reader.warnings.append(_("choices sheet: column “%(column)s” is not used by Inquiry and "
                                 "was ignored (rows %(rows)s).")
                               % {"column": header, "rows": _rows_text(lines)})
    return lists


def _refusal(kind: str, base: str) -> str:
    """Why a survey row of this type cannot be imported."""
    if base == "begin_repeat":
        return _("repeated groups (“begin repeat”) are not supported.")
    if base.endswith("_from_file") or base.endswith("_external"):
        return _("choices read from another file (“%(type)s”) are not supported.") % {"type": kind}
    if base in ("geopoint", "geotrace", "geoshape"):
        return _("location questions (“%(type)s”) are not supported.") % {"type": kind}
    if base == "calculate":
        return _("calculations are not supported.")
    return _("the question type “%(type)s” is not supported.") % {"type": kind}


def _split_type(cell) -> tuple[str, list[str]]:
    """``"select_one yes_no"`` -> ``("select_one", ["select_one", "yes_no"])``.

    Also reads the older spellings "select one x", "select all that apply x" and
    "begin group" (XLSForm's own; "begin_group" is the newer).
    """
    words = str(cell).split()
    if not words:
        return "", []
    base = words[0].casefold()
    if base in ("select", "begin", "end") and len(words) > 1:
        second = words[1].casefold()
        if base == "select" and second == "one":
            return "select_one", ["select_one", *words[2:]]
        if base == "select" and " ".join(words[1:4]).casefold() == "all that apply":
            return "select_multiple", ["select_multiple", *words[4:]]
        if second in ("group", "repeat"):
            return f"{base}_{second}", [f"{base}_{second}", *words[2:]]
    return base, words


class _SurveyReader:
    """Reads the survey sheet row by row into sections and questions of the plan."""

    PLAIN_COLUMNS = {"type", "name", "label", "hint", "required", ""}

    def __init__(self, reader: _Reader, plan: _Plan, choice_lists, sheet: Sheet):
        self.reader, self.plan, self.choice_lists, self.sheet = reader, plan, choice_lists, sheet
        self.section: Section | None = None
        self.group_line = 0
        self.seen_sections: set[str] = set()
        self.seen_questions: set[str] = set()
        self.refused = _refused_columns()
        self.cosmetic: dict[tuple[str, bool], list[int]] = {}  # (column, known) -> rows
        self.integers, self.notes, self.metadata, self.after_group = [], [], [], []

    def error(self, line: int, message: str) -> None:
        self.reader.error(self.sheet.name, line, message)

    def read(self) -> None:
        for line, row in self.sheet.rows:
            base, words = _split_type(self.sheet.value(row, "type"))
            if base == "end_repeat":
                continue  # its "begin repeat" is reported
            if not base:
                self.error(line, _("the type is missing."))
            elif base in METADATA_TYPES:
                self.metadata.append(line)
            elif base == "note":
                self.notes.append(line)
            else:
                self.check_columns(line, row)
                name = str(self.sheet.value(row, "name"))
                if base == "begin_group":
                    self.begin_group(line, row, name)
                elif base == "end_group":
                    if self.section is None:
                        self.error(line, _("“end group” without “begin group”."))
                    self.section = None
                else:
                    self.question(line, row, name, base, words)
        if self.section is not None:
            self.error(self.group_line, _("this group has no “end group”."))
        self.report()

    def check_columns(self, line: int, row: list) -> None:
        """Refuse the columns that change meaning; note the cosmetic ones."""
        for i, column in enumerate(self.sheet.columns):
            if row[i] == "" or column.base in self.PLAIN_COLUMNS:
                continue
            if column.base in self.refused:
                self.error(line, _("column “%(column)s” (%(value)s): %(feature)s is not "
                                   "supported; without it the question would not mean the "
                                   "same.") % {"column": column.header, "value": row[i],
                                               "feature": self.refused[column.base]})
            else:
                known = column.base in COSMETIC_COLUMNS
                self.cosmetic.setdefault((column.header, known), []).append(line)

    def begin_group(self, line: int, row: list, name: str) -> None:
        if self.section is not None:
            self.error(line, _("groups within groups are not supported."))
            return
        if not name:
            self.error(line, _("the group has no name."))
            return
        code = self.reader.check_code(Section, "code", name, self.sheet.name, line)
        if code in self.seen_sections:
            self.error(line, _("the group name “%(name)s” is used twice.") % {"name": code})
        self.seen_sections.add(code)
        if self.sheet.values(row, "hint"):
            self.cosmetic.setdefault((_("hint (of a group)"), True), []).append(line)
        self.section = Section(code=code, title=self.reader.texts(self.sheet, row, "label", line),
                               order=len(self.plan.sections) + 1)
        self.plan.sections.append(self.section)
        self.group_line = line

    def question_type(self, line: int, base: str, words: list[str]):
        """(Question.Type, list name), or None after reporting why the row is refused."""
        kind = " ".join(words)
        if base in ("select_one", "select_multiple"):
            if [w.casefold() for w in words[2:]] == ["or_other"]:
                self.error(line, _("“or_other” (an extra “Other” choice with a text box) is not "
                                   "supported: add an “other” choice and a text question "
                                   "instead."))
                return None
            if len(words) != 2:
                self.error(line, _("“%(type)s” needs a list_name, as in “select_one yes_no”.")
                           % {"type": kind})
                return None
            if words[1] not in self.choice_lists:
                self.error(line, _("the list “%(list)s” is not in the choices sheet.")
                           % {"list": words[1]})
                return None
            values = {value for value, _label, _line in self.choice_lists[words[1]]}
            if base == "select_multiple":
                return Question.Type.MULTIPLE, words[1]
            if values == YES_NO_VALUES:
                return Question.Type.YES_NO, words[1]
            return Question.Type.SINGLE, words[1]
        if base in XLSFORM_TO_TYPE and len(words) == 1:
            if base in ("integer", "int"):
                self.integers.append(line)
            return XLSFORM_TO_TYPE[base], None
        self.error(line, _refusal(kind, base))
        return None

    def question(self, line: int, row: list, name: str, base: str, words: list[str]) -> None:
        found = self.question_type(line, base, words)
        if found is None:
            return
        if not name:
            self.error(line, _("the question has no name."))
            return
        code = self.reader.check_code(Question, "code", name, self.sheet.name, line)
        if code in self.seen_questions:
            self.error(line, _("the name “%(name)s” is used twice.") % {"name": code})
        self.seen_questions.add(code)
        text = self.reader.texts(self.sheet, row, "label", line)
        if not text:
            self.error(line, _("the question “%(name)s” has no label.") % {"name": code})
        required = self.sheet.value(row, "required")
        flag = ("true" if required else "false") if isinstance(required, bool) else \
            str(required).strip().casefold()
        if flag not in TRUE_VALUES | FALSE_VALUES:
            self.error(line, _("required “%(value)s”: only yes or no; a condition is not "
                               "supported.") % {"value": required})
        if self.section is None and self.plan.sections:
            self.after_group.append(line)
        question = Question(code=code, type=found[0], required=flag in TRUE_VALUES, text=text,
                            help_text=self.reader.texts(self.sheet, row, "hint", line),
                            order=len(self.plan.questions) + 1)
        self.plan.questions.append((question, found[1], self.section))

    def report(self) -> None:
        reader = self.reader
        _warn(reader, self.integers, _("whole-number questions (“integer”) are imported as "
                                       "numbers; decimals will be accepted"))
        _warn(reader, self.notes, _("notes (text without a question) are not imported; put "
                                    "their text in the introduction or a question's help text"))
        _warn(reader, self.metadata, _("data recorded by a phone (start, end, deviceid...) is "
                                       "not collected by Inquiry; these rows were ignored"))
        _warn(reader, self.after_group, _("questions outside any group come first in Inquiry, "
                                          "before the groups"))
        for (header, known), lines in self.cosmetic.items():
            message = (_("survey sheet: column “%(column)s” changes only how the form looks "
                         "and was ignored (rows %(rows)s).") if known else
                       _("survey sheet: column “%(column)s” is unknown to Inquiry and was "
                         "ignored (rows %(rows)s)."))
            reader.warnings.append(message % {"column": header, "rows": _rows_text(lines)})
        used = {list_name for _q, list_name, _s in self.plan.questions if list_name}
        for list_name, entries in self.choice_lists.items():
            self.plan.lists[list_name] = [(value, labels) for value, labels, _n in entries]
            if list_name not in used:
                reader.warnings.append(_("choices sheet: the list “%(list)s” is used by no "
                                         "question.") % {"list": list_name})


def _read_survey(reader: _Reader, plan: _Plan, choice_lists) -> None:
    sheet = reader.sheet("survey")
    if sheet is None:
        reader.errors.append(_("The workbook has no “survey” sheet: it is not an XLSForm."))
        return
    present = {column.base for column in sheet.columns}
    for needed in ("type", "name"):
        if needed not in present:
            reader.error(sheet.name, 1, _("the column “%(column)s” is missing.")
                         % {"column": needed})
    if not reader.errors:
        _SurveyReader(reader, plan, choice_lists, sheet).read()


def _warn(reader: _Reader, lines: list[int], what: str) -> None:
    if lines:
        reader.warnings.append(ngettext("survey sheet, row %(rows)s: %(what)s.",
                                        "survey sheet, rows %(rows)s: %(what)s.", len(lines))
                               % {"rows": _rows_text(lines), "what": what})


def _check_questionnaire(reader: _Reader, plan: _Plan) -> None:
    questionnaire = plan.questionnaire
    used = set()
    for question, _list, _section in plan.questions:
        used |= set(question.text) | set(question.help_text)
    for section in plan.sections:
        used |= set(section.title)
    if not questionnaire.languages:
        codes = used | {questionnaire.default_language}
        questionnaire.languages = [c for c in LANGUAGE_CODES if c in codes]
    if not questionnaire.title:
        questionnaire.title = {questionnaire.default_language: questionnaire.code}
        reader.warnings.append(_("The settings sheet gives no title: the code is used as the "
                                 "title."))
    if questionnaire.pk and questionnaire.status != Questionnaire.Status.DRAFT:
        reader.errors.append(_("%(code)s is not a draft: its questions cannot be replaced.")
                             % {"code": questionnaire.code})
    try:
        questionnaire.full_clean(exclude=["status", "copied_from"])
    except ValidationError as exc:
        for name, errors in exc.message_dict.items():
            label = "" if name == "__all__" else f"{name}: "
            reader.errors += [_("settings sheet: %(problem)s") % {"problem": label + message}
                              for message in errors]
    if not plan.questions:
        reader.errors.append(_("survey sheet: there is no question to import."))


def _write(plan: _Plan) -> tuple[Questionnaire, int]:
    questionnaire = plan.questionnaire
    if questionnaire.pk:
        questionnaire.questions.all().delete()
        questionnaire.sections.all().delete()
        questionnaire.reminder_rules.all().delete()
    questionnaire.status = Questionnaire.Status.DRAFT
    questionnaire.save()
    for section in plan.sections:
        section.questionnaire = questionnaire
    Section.objects.bulk_create(plan.sections)
    for question, _list, section in plan.questions:
        question.questionnaire, question.section = questionnaire, section
    Question.objects.bulk_create([q for q, _list, _section in plan.questions])
    standard = dict(YES_NO_CHOICES)
    choices = []
    for question, list_name, _section in plan.questions:
        if list_name is None:
            continue
        entries = plan.lists[list_name]
        if question.type == Question.Type.YES_NO:
            # Same as question_ensure_yes_no_choices, without a query per question.
            labels = dict(entries)
            entries = [(value, {**standard[value], **labels[value]})
                       for value, _std in YES_NO_CHOICES]
        choices += [Choice(question=question, order=order, value=value, label=dict(label))
                    for order, (value, label) in enumerate(entries, start=1)]
    Choice.objects.bulk_create(choices)
    ReminderRule.objects.bulk_create(
        ReminderRule(questionnaire=questionnaire, days_from_deadline=days)
        for days in plan.reminder_days)
    return questionnaire, len(choices)


def questionnaire_from_xlsform(content: bytes, *, code: str | None = None,
                               update: Questionnaire | None = None
                               ) -> tuple[Questionnaire, XlsformReport]:
    """Create a draft questionnaire from an XLSForm workbook, or replace ``update``'s content.

    All or nothing: any problem raises :class:`XlsformError` listing every one, and
    nothing is written. Cosmetic features the file uses are listed in the report.
    """
    reader = _Reader(content)
    questionnaire, days = _read_settings(reader, code, update)
    plan = _Plan(questionnaire=questionnaire, reminder_days=days)
    choice_lists = _read_choices(reader)
    _read_survey(reader, plan, choice_lists)
    if not reader.errors:
        _check_questionnaire(reader, plan)
    if reader.errors:
        raise XlsformError(reader.errors)
    for name in reader.sheets:
        if name not in ("survey", "choices", "settings"):
            reader.warnings.append(_("The sheet “%(sheet)s” is not used by Inquiry and was "
                                     "ignored.") % {"sheet": reader.sheets[name][0]})
    with transaction.atomic():
        questionnaire, choices = _write(plan)
    report = XlsformReport(
        code=questionnaire.code, sections=len(plan.sections), questions=len(plan.questions),
        choices=choices, languages=list(questionnaire.languages), warnings=reader.warnings)
    return questionnaire, report
