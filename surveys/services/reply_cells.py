"""Reading one cell of a sheet of replies as the answer to its question.

What a cell may hold, as staff and governments write it: dates as date cells,
YYYY-MM-DD or DD/MM/YYYY (the order of every UN language); numbers with a decimal
point or comma and spaces between thousands; a choice by its value or its label in
any of the six languages; "Yes"/"Oui"/"Sí"... for yes / no questions; a channel by its
name in any language or a common synonym ("courriel", "note verbale"). A cell that
cannot be read raises :class:`InvalidCell` with a message for staff.

Used by :mod:`surveys.services.reply_import`, one cell at a time, tens of thousands
of rows: each reader is built once per question and converts each distinct cell once.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext as _

from surveys.languages import LANGUAGE_CODES
from surveys.models import YES_NO_CHOICES, Question, Response
from surveys.services.responses import answer_from_value

# What people write for a channel, besides the values and the labels in six languages.
CHANNEL_SYNONYMS = {
    "e-mail": Response.Channel.EMAIL, "e mail": Response.Channel.EMAIL,
    "courriel": Response.Channel.EMAIL,
    "correo electrónico": Response.Channel.EMAIL, "telefax": Response.Channel.FAX,
    "facsimile": Response.Channel.FAX, "télécopie": Response.Channel.FAX,
    "post": Response.Channel.LETTER, "note verbale": Response.Channel.LETTER,
    "lettre": Response.Channel.LETTER, "carta": Response.Channel.LETTER,
    "web": Response.Channel.PORTAL,
    "online": Response.Channel.PORTAL, "spreadsheet": Response.Channel.IMPORT,
}

_DMY = re.compile(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})")
# Spaces people and programs put between thousands: space, no-break, thin, narrow no-break.
_GROUP_SPACES = str.maketrans("", "", " \u00a0\u2009\u202f")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_COMMA_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+\.\d+|[+-]?\d{1,3}(?:,\d{3}){2,}")
_DOT_GROUPED = re.compile(r"[+-]?\d{1,3}(?:\.\d{3})+,\d+|[+-]?\d{1,3}(?:\.\d{3}){2,}")
_AMBIGUOUS_COMMA = re.compile(r"[+-]?[1-9]\d{0,2},\d{3}")


class InvalidCell(ValueError):
    """A cell cannot be read as its question's answer; the message says why."""


def fold(text) -> str:
    return " ".join(str(text).split()).casefold()



def parse_date(cell) -> datetime.date:
    """A date cell, or text as YYYY-MM-DD or DD/MM/YYYY (the order of every UN language)."""
    if isinstance(cell, datetime.datetime):
        return cell.date()
    if isinstance(cell, datetime.date):
        return cell
    text = str(cell).strip()
    if isinstance(cell, str):
        match = _DMY.fullmatch(text)
        try:
            if match:
                day, month, year = (int(part) for part in match.groups())
                return datetime.date(year, month, day)
            if len(text) == 10:
                return datetime.date.fromisoformat(text)
            moment = datetime.datetime.fromisoformat(text)  # "2008-04-30 00:00:00"
            if moment.time() == datetime.time(0):
                return moment.date()
        except ValueError:
            pass
    raise InvalidCell(_("“%(text)s” is not a date: write YYYY-MM-DD or DD/MM/YYYY.")
                      % {"text": text})


def parse_number(cell) -> Decimal:
    """A number cell, or text with a decimal point or comma and spaces between thousands.

    "1 234,5", "1.234,5", "1,234.5" and "1234.5" are the same number. "1,234" alone is
    refused: it is 1234 to some readers and 1.234 to others.
    """
    if isinstance(cell, bool | datetime.date):
        raise InvalidCell(_("“%(text)s” is not a number.") % {"text": cell})
    if isinstance(cell, int):
        return Decimal(cell)
    if isinstance(cell, float):
        number = Decimal(repr(cell))
    else:
        text = str(cell).translate(_GROUP_SPACES)
        if _COMMA_GROUPED.fullmatch(text):
            text = text.replace(",", "")
        elif _DOT_GROUPED.fullmatch(text):
            text = text.replace(".", "").replace(",", ".")
        elif _AMBIGUOUS_COMMA.fullmatch(text):
            raise InvalidCell(
                _("“%(text)s” could be read two ways: write %(whole)s or %(decimal)s.")
                % {"text": cell, "whole": text.replace(",", ""),
                   "decimal": text.replace(",", ".")})
        elif text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")
        if not _PLAIN_NUMBER.fullmatch(text):
            raise InvalidCell(_("“%(text)s” is not a number.") % {"text": cell})
        number = Decimal(text)
    if not number.is_finite():
        raise InvalidCell(_("“%(text)s” is not a number.") % {"text": cell})
    return number


def _choice_index(question: Question) -> dict[str, str]:
    """Folded value or label (in any language) → choice value; a value wins over a label.

    A label that names two different choices (in two languages) is left out.
    """
    choices = [(c.value, c.label) for c in question.choices.all()]
    if question.type == Question.Type.YES_NO:
        standard = dict(YES_NO_CHOICES)
        if not choices:
            choices = list(YES_NO_CHOICES)
        # Stored yes / no choices answer to the standard labels too, in all six languages.
        choices += [(value, standard[value]) for value, _label in choices if value in standard]
    index = {fold(value): value for value, _label in choices}
    by_label: dict[str, set[str]] = {}
    for value, label in choices:
        texts = label.values() if isinstance(label, dict) else [label]
        for text in texts:
            if text:
                by_label.setdefault(fold(text), set()).add(value)
    for key, values in by_label.items():
        if len(values) == 1 and key not in index:
            index[key] = next(iter(values))
    return index


def _choice_reader(question: Question) -> Callable:
    """A function from a cell to the question's choice value(s), in the form's shape."""
    index = _choice_index(question)
    order = {value: n for n, value in enumerate(dict.fromkeys(index.values()))}
    allowed = ", ".join(order)
    is_yes_no = question.type == Question.Type.YES_NO
    multiple = question.type == Question.Type.MULTIPLE

    def unknown(texts):
        return InvalidCell(
            _("%(texts)s: not among the choices (%(allowed)s, or their labels in any "
              "language).") % {"texts": ", ".join(f"“{t}”" for t in texts), "allowed": allowed})

    def read(cell):
        if is_yes_no and isinstance(cell, bool):
            return "yes" if cell else "no"
        text = str(cell)
        value = index.get(fold(text))
        if not multiple:
            if value is None:
                raise unknown([text])
            return value
        if value is not None:
            return [value]
        values, missing = [], []
        for part in re.split(r"[;\n]", text):
            if not part.strip():
                continue
            value = index.get(fold(part))
            if value is not None:
                values.append(value)
                continue
            for piece in part.split(","):  # "a, b" as well as a label holding a comma
                if piece.strip():
                    value = index.get(fold(piece))
                    (values if value is not None else missing).append(value or piece.strip())
        if missing:
            raise unknown(missing)
        return sorted(set(values), key=order.__getitem__)  # the form's order, once each

    return read


def _text(cell):
    if isinstance(cell, datetime.datetime) and cell.time() == datetime.time(0):
        return cell.date().isoformat()
    if isinstance(cell, datetime.date):
        return cell.isoformat()
    return cell


def _file_cell(cell):
    raise InvalidCell(_("answers to file questions cannot be imported: attach the file to "
                        "the reply in the admin."))


_READERS = {
    Question.Type.TEXT: lambda question: _text,
    Question.Type.NUMBER: lambda question: parse_number,
    Question.Type.DATE: lambda question: parse_date,
    Question.Type.YES_NO: _choice_reader,
    Question.Type.SINGLE: _choice_reader,
    Question.Type.MULTIPLE: _choice_reader,
    Question.Type.FILE: lambda question: _file_cell,
}


def answer_reader(question: Question) -> Callable:
    """A function from a (non-empty) cell and the reply's language to the answer's
    (text, value), as :func:`answer_from_value` makes them; raises :class:`InvalidCell`.

    Answers other than free text repeat ("Yes", "forum; agenda", 3): each distinct cell
    is converted once per import.
    """
    read = _READERS[question.type](question)
    if question.type == Question.Type.TEXT:
        def convert_text(cell, language):
            if cell.__class__ is str:  # what answer_from_value makes of text, without the call
                return cell.strip(), None
            return answer_from_value(question, read(cell), language=language)
        return convert_text

    by_language = question.type in Question.CHOICE_TYPES  # labels are in the reply's language
    done: dict[tuple, tuple[str, object]] = {}

    def convert(cell, language):
        # The type is part of the key: True, 1 and 1.0 are equal keys to a dict.
        key = (cell.__class__, cell, language if by_language else "")
        found = done.get(key)
        if found is None:
            found = done[key] = answer_from_value(question, read(cell), language=language)
        return found

    return convert


def channel_index() -> dict[str, str]:
    index = {fold(key): value for key, value in CHANNEL_SYNONYMS.items()}
    index.update({channel.value: channel.value for channel in Response.Channel})
    for language in LANGUAGE_CODES:
        with translation.override(language):
            for channel in Response.Channel:
                index.setdefault(fold(channel.label), channel.value)
    return index
