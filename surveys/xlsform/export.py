"""A questionnaire written as an XLSForm workbook (all its languages, Inquiry's settings)."""

from __future__ import annotations

import io

from surveys.cells import formula_safe
from surveys.languages import LANGUAGE_CODES
from surveys.models import YES_NO_CHOICES, Question, Questionnaire
from surveys.reply_form import questionnaire_layout
from surveys.xlsform.format import (
    TYPE_TO_XLSFORM,
    XLSFORM_CODES,
    YES_NO_LIST,
    language_header,
    language_label,
)


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
        language_label(questionnaire.default_language),
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
