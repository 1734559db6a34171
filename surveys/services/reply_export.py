"""Replies as tables for analysts: wide (a row per State) and long (a row per answer).

Each State's row is the version it had sent by the date asked (``as_of``), read from
the frozen :class:`ResponseVersion`, so an export "as of 15 July" shows what had
arrived by then even if a State amended its reply afterwards. Rows are generators
fed by a fixed number of queries (``.iterator()``, no query per reply), and every
text cell goes through :func:`surveys.cells.formula_safe` before any writer sees it.
Writers: .xlsx (openpyxl's write-only mode, constant memory) and .csv (UTF-8 with
a byte-order mark, so that Excel reads accents and non-Latin scripts right).
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import json
from collections import defaultdict, namedtuple
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.db.models import (
    CharField,
    DateField,
    IntegerField,
    JSONField,
    OuterRef,
    QuerySet,
    Subquery,
)
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from surveys.cells import formula_safe
from surveys.models import (
    Answer,
    Question,
    Questionnaire,
    Response,
    ResponseVersion,
    Timing,
    timing_of,
)
from surveys.reply_form import questionnaire_layout
from surveys.translated import translated

WIDE, LONG = "wide", "long"
LAYOUTS = (WIDE, LONG)
FORMATS = ("xlsx", "csv")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv; charset=utf-8"
XLSX_MAX_CELL = 32_767  # Excel's limit; longer texts are cut in .xlsx (the .csv keeps them)


@dataclass
class ReplyTable:
    """A header and a stream of rows, every text already safe to open in a spreadsheet."""

    title: str
    header: list[str]
    rows: Iterator[list]
    widths: list[int] = field(default_factory=list)


# --- reading -------------------------------------------------------------------------------------


def _replies(*, questionnaire: Questionnaire, as_of: datetime.date | None, responses):
    """Submitted replies received by ``as_of``, each annotated with the version to export:
    the latest one received by then. One query, streamed."""
    queryset = Response.objects.filter(recipient__questionnaire=questionnaire,
                                       status=Response.Status.SUBMITTED)
    if responses is not None:
        ids = responses.order_by().values("pk") if isinstance(responses, QuerySet) else \
            [getattr(r, "pk", r) for r in responses]
        queryset = queryset.filter(pk__in=ids)
    if as_of is not None:
        queryset = queryset.filter(received_on__lte=as_of)
    versions = ResponseVersion.objects.filter(response=OuterRef("pk"))
    if as_of is not None:
        versions = versions.filter(received_on__lte=as_of)
    latest = versions.order_by("-number")

    def pick(name, output_field):
        return Subquery(latest.values(name)[:1], output_field=output_field)

    return (queryset.select_related("recipient__state")
            .annotate(v_number=pick("number", IntegerField()),
                      v_received_on=pick("received_on", DateField()),
                      v_channel=pick("channel", CharField()),
                      v_language=pick("language", CharField()),
                      v_answers=pick("answers", JSONField()))
            .order_by("recipient__state__name_en", "pk"))


def _unversioned_answers(replies) -> dict[int, dict]:
    """Current answers of replies without a version to export (saved around
    ``response_save``, e.g. by an old import): normally none. One query."""
    answers: dict[int, dict] = defaultdict(dict)
    rows = (Answer.objects.filter(response__in=replies.filter(v_number__isnull=True)
                                  .order_by().values("pk"))
            .values_list("response_id", "question__code", "text", "value"))
    for response_id, code, text, value in rows.iterator():
        answers[response_id][code] = {"text": text, "value": value}
    return answers


def _questions(questionnaire: Questionnaire) -> list[Question]:
    """In the order governments read them (the reply form's order)."""
    return [q for _section, questions in questionnaire_layout(questionnaire) for q in questions]


def _typed(question: Question, text: str):
    """Numbers and dates as numbers and dates (sortable in a spreadsheet); the rest as text."""
    if text and question.type == Question.Type.NUMBER:
        try:
            return Decimal(text)
        except InvalidOperation:
            return text
    if text and question.type == Question.Type.DATE:
        try:
            return datetime.date.fromisoformat(text)
        except ValueError:
            return text
    return text


def _value_cell(question: Question, value):
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, str):
        return _typed(question, value)
    return value


def _safe(row: list) -> list:
    return [formula_safe(str(v) if isinstance(v, Promise) else v) for v in row]


@dataclass
class _Reply:
    """What both layouts need of one reply."""

    state: object
    received_on: datetime.date | None
    timing: str
    channel: str
    language: str
    version: int
    answers: dict


# What the rows show of a State: read with the reply, not as a model instance per row.
STATE_FIELDS = ("name_en", "iso3", "region", "subregion", "is_ldc", "is_lldc", "is_sids")
_ReplyState = namedtuple("_ReplyState", STATE_FIELDS)


def _reply_rows(*, questionnaire, as_of, responses, progress) -> Iterator[_Reply]:
    replies = _replies(questionnaire=questionnaire, as_of=as_of, responses=responses)
    fallback = _unversioned_answers(replies)
    channels = dict(Response.Channel.choices)
    timings: dict = {}  # received_on → label: a few hundred dates for any number of replies
    # Plain rows rather than three model instances per reply (tens of thousands of them).
    rows = replies.values_list(
        "pk", "received_on", "channel", "language", "version", "v_number", "v_channel",
        "v_language", "v_answers", *[f"recipient__state__{name}" for name in STATE_FIELDS])
    for (pk, received_on, channel, language, version, v_number, v_channel, v_language,
         v_answers, *state) in rows.iterator(chunk_size=500):
        versioned = v_number is not None
        channel = v_channel if versioned else channel
        timing = timings.get(received_on)
        if timing is None:
            timing = timings[received_on] = str(Timing(timing_of(received_on,
                                                                 questionnaire)).label)
        yield _Reply(
            state=_ReplyState(*state),
            received_on=received_on,
            timing=timing,
            channel=str(channels.get(channel, channel)),
            language=v_language if versioned else language,
            version=v_number if versioned else version,
            answers=(v_answers or {}) if versioned else fallback.get(pk, {}))
        if progress:
            progress()


# --- the two layouts -----------------------------------------------------------------------------


def replies_wide(*, questionnaire: Questionnaire, as_of: datetime.date | None = None,
                 responses=None, progress: Callable[[], None] | None = None) -> ReplyTable:
    """A row per replying State, a column per question (the answer's text).

    ``responses`` limits the rows to some replies (a queryset or a list); ``as_of``
    to the replies received by that day, each as it stood then.
    """
    questions = _questions(questionnaire)
    header = [_("State"), _("ISO3"), _("Region"), _("Sub-region"), _("LDC"), _("LLDC"),
              _("SIDS"), _("Received on"), _("Received through"), _("Timing"), _("Language"),
              _("Version"), *[q.code for q in questions]]

    def rows():
        for reply in _reply_rows(questionnaire=questionnaire, as_of=as_of,
                                 responses=responses, progress=progress):
            state = reply.state
            answers = [_typed(q, (reply.answers.get(q.code) or {}).get("text") or "")
                       for q in questions]
            yield _safe([state.name_en, state.iso3, state.region, state.subregion,
                         state.is_ldc, state.is_lldc, state.is_sids, reply.received_on,
                         reply.channel, reply.timing, reply.language, reply.version,
                         *answers])

    widths = [28, 6, 10, 22, 6, 6, 6, 12, 14, 22, 9, 8] + [30] * len(questions)
    return ReplyTable(title=_("Replies"), header=_safe(header), rows=rows(), widths=widths)


def replies_long(*, questionnaire: Questionnaire, as_of: datetime.date | None = None,
                 responses=None, progress: Callable[[], None] | None = None) -> ReplyTable:
    """A row per answer given (empty answers are left out), for coding and pivot tables.

    The value column holds the structured answer: choice values as JSON text
    (``["yes"]``), numbers and dates as such.
    """
    questions = _questions(questionnaire)
    main = questionnaire.default_language
    texts = {q.code: translated(q.text, main, main) for q in questions}
    header = [_("State"), _("ISO3"), _("Region"), _("Question"), _("Question text"),
              _("Answer"), _("Value"), _("Received on"), _("Version")]

    def rows():
        for reply in _reply_rows(questionnaire=questionnaire, as_of=as_of,
                                 responses=responses, progress=progress):
            state = reply.state
            for question in questions:
                answer = reply.answers.get(question.code) or {}
                text, value = answer.get("text") or "", answer.get("value")
                if not text and value in (None, "", []):
                    continue
                yield _safe([state.name_en, state.iso3, state.region, question.code,
                             texts[question.code], _typed(question, text),
                             _value_cell(question, value),
                             reply.received_on, reply.version])

    widths = [28, 6, 10, 18, 50, 60, 24, 12, 8]
    return ReplyTable(title=_("Answers"), header=_safe(header), rows=rows(), widths=widths)


def replies_table(*, layout: str, questionnaire: Questionnaire, as_of=None, responses=None,
                  progress=None) -> ReplyTable:
    if layout not in LAYOUTS:
        raise ValueError(f"Unknown layout {layout!r}; choose {' or '.join(LAYOUTS)}.")
    build = replies_wide if layout == WIDE else replies_long
    return build(questionnaire=questionnaire, as_of=as_of, responses=responses,
                 progress=progress)


# --- writers -------------------------------------------------------------------------------------


def _xlsx_cell(value):
    if isinstance(value, str):
        # Control characters pasted from PDFs are refused by the format: drop them.
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if len(value) > XLSX_MAX_CELL:
            value = value[:XLSX_MAX_CELL - 1] + "…"
    return value


def write_xlsx(table: ReplyTable, target) -> int:
    """Write ``table`` to ``target`` (a path or a binary file); returns the rows written."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(table.title[:31])
    sheet.freeze_panes = "A2"
    for index, width in enumerate(table.widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    bold = Font(bold=True)
    header = []
    for name in table.header:
        cell = WriteOnlyCell(sheet, value=_xlsx_cell(name))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    count = 0
    for row in table.rows:
        sheet.append([_xlsx_cell(v) for v in row])
        count += 1
    workbook.save(target)
    return count


def _csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


class _Counted:
    """Counts the rows a generator has given."""

    def __init__(self, rows: Iterable):
        self.rows, self.count = rows, 0

    def __iter__(self):
        for row in self.rows:
            self.count += 1
            yield row


def _csv_chunks(table: ReplyTable, rows: Iterable, chunk: int = 64 * 1024) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield codecs.BOM_UTF8
    writer.writerow(table.header)
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
        if buffer.tell() >= chunk:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def csv_chunks(table: ReplyTable) -> Iterator[bytes]:
    """The .csv file as a stream of bytes (for a streaming HTTP response)."""
    return _csv_chunks(table, table.rows)


def write_csv(table: ReplyTable, target) -> int:
    """Write ``table`` to ``target`` (a path or a binary file); returns the rows written."""
    rows = _Counted(table.rows)
    if isinstance(target, (str, Path)):
        with open(target, "wb") as handle:
            for piece in _csv_chunks(table, rows):
                handle.write(piece)
    else:
        for piece in _csv_chunks(table, rows):
            target.write(piece)
    return rows.count


def export_filename(*, questionnaire: Questionnaire, layout: str, file_format: str,
                    as_of: datetime.date | None = None) -> str:
    # The code is restricted to letters, digits, "_", "-" and "." (safe in a header).
    day = f"-as-of-{as_of:%Y-%m-%d}" if as_of else ""
    return f"{questionnaire.code}-replies-{layout}{day}.{file_format}"


def replies_export(*, questionnaire: Questionnaire, path: str | Path, long: bool = False,
                   as_of: datetime.date | None = None,
                   progress: Callable[[], None] | None = None) -> int:
    """Write the replies to a .xlsx or .csv file (chosen by its suffix); returns the rows."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise ValueError(_("Unsupported file type “%(suffix)s”: use .xlsx or .csv.")
                         % {"suffix": suffix})
    table = replies_table(layout=LONG if long else WIDE, questionnaire=questionnaire,
                          as_of=as_of, progress=progress)
    writer = write_xlsx if suffix == "xlsx" else write_csv
    return writer(table, path)


def replies_count(*, questionnaire: Questionnaire, as_of: datetime.date | None = None) -> int:
    """How many replies an export covers (for a progress bar)."""
    return _replies(questionnaire=questionnaire, as_of=as_of, responses=None).count()
