"""An XLSForm workbook turned into a new draft questionnaire: settings, choices and
survey read and checked in full (every problem listed) before anything is written."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from surveys.languages import LANGUAGE_CODES
from surveys.models import YES_NO_CHOICES, Choice, Question, Questionnaire, ReminderRule, Section
from surveys.xlsform.format import (
    COSMETIC_COLUMNS,
    FALSE_VALUES,
    IGNORED_SETTINGS,
    METADATA_TYPES,
    TRUE_VALUES,
    XLSFORM_TO_TYPE,
    YES_NO_VALUES,
    XlsformError,
    XlsformReport,
    refused_columns,
)
from surveys.xlsform.reading import (
    Reader,
    Sheet,
    parse_date,
    parse_language,
    parse_languages,
    rows_text,
)


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


def _settings_default_language(reader: Reader) -> str | None:
    """The ``default_language`` setting, read first: bare ``label`` columns depend on it."""
    _name, rows = reader.sheets.get("settings", ("settings", []))
    if len(rows) < 2:
        return None
    for header, value in zip(rows[0], rows[1], strict=False):
        if str(header).strip().casefold() == "default_language" and value != "":
            language = parse_language(str(value))
            if language is None:
                reader.error("settings", 2, _("column “default_language”: unknown language "
                                              "“%(name)s”.") % {"name": value})
            return language
    return None


def _read_settings(reader: Reader, code: str | None,
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
    questionnaire.sent_on = parse_date(get("sent_on"), reader, name, line, "sent_on")
    questionnaire.deadline = parse_date(get("deadline"), reader, name, line, "deadline")
    questionnaire.cutoff = parse_date(get("cutoff"), reader, name, line, "cutoff")
    questionnaire.languages = (parse_languages(get("languages"), reader, name, line)
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


def _read_choices(reader: Reader) -> dict[str, list[tuple[str, dict, int]]]:
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
                               % {"column": header, "rows": rows_text(lines)})
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

    def __init__(self, reader: Reader, plan: _Plan, choice_lists, sheet: Sheet):
        self.reader, self.plan, self.choice_lists, self.sheet = reader, plan, choice_lists, sheet
        self.section: Section | None = None
        self.group_line = 0
        self.seen_sections: set[str] = set()
        self.seen_questions: set[str] = set()
        self.refused = refused_columns()
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
            reader.warnings.append(message % {"column": header, "rows": rows_text(lines)})
        used = {list_name for _q, list_name, _s in self.plan.questions if list_name}
        for list_name, entries in self.choice_lists.items():
            self.plan.lists[list_name] = [(value, labels) for value, labels, _n in entries]
            if list_name not in used:
                reader.warnings.append(_("choices sheet: the list “%(list)s” is used by no "
                                         "question.") % {"list": list_name})


def _read_survey(reader: Reader, plan: _Plan, choice_lists) -> None:
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


def _warn(reader: Reader, lines: list[int], what: str) -> None:
    if lines:
        reader.warnings.append(ngettext("survey sheet, row %(rows)s: %(what)s.",
                                        "survey sheet, rows %(rows)s: %(what)s.", len(lines))
                               % {"rows": rows_text(lines), "what": what})


def _check_questionnaire(reader: Reader, plan: _Plan) -> None:
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
    reader = Reader(content)
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
