"""Replies from a spreadsheet: one row per State, one column per question code.

A sheet of replies (typed up from letters, compiled by a regional office, or an
Inquiry export sent back) ends as the portal's replies do in
:func:`surveys.services.responses.response_save`: a submitted Response (channel
"import" unless the sheet says otherwise), a new :class:`ResponseVersion` with the
whole reply for every change, answers shaped by :func:`answer_from_value`, and every
change kept by django-simple-history.

The file is all or nothing: every problem of every row is listed, and nothing is
written if there is one. Importing the same file again changes nothing.

Decisions, as staff see them:

* ``received_on``: a reply keeps the date it first arrived (as ``response_save``
  does) unless the sheet gives an earlier one, which then corrects it. A later date
  with the same answers is not a change; a changed reply's new version carries the
  sheet's date.
* An empty ``channel`` or ``language`` cell says nothing: it is not a change. A new
  or changed reply is then recorded as received by "import", in the language of the
  reply already held, else the questionnaire's main language.
* A question without a column keeps its current answer; an empty cell in a
  question's column empties the answer (the row is the whole reply to that question).
* A required question must have a column (file questions excepted: they cannot be
  imported) and an answer on every row.
* Inquiry's own export (wide layout) reads back unchanged: its columns that say
  nothing to import (region, timing, version...) are left aside, "State" and "ISO3"
  must name the same State, and a file question's cell may repeat the name of the
  file already held.

Built for tens of thousands of rows: one pass with cheap per-type checks (no Django
form per row; how each cell is read is :mod:`surveys.services.reply_cells`), the
registry, recipients, replies and answers read once each (a fixed number of queries
whatever the number of rows), bulk writes in chunks.
"""

from __future__ import annotations

import datetime
import functools
import gc
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import models, transaction
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from openpyxl.utils import get_column_letter

from surveys.cells import unescape
from surveys.languages import UN_LANGUAGES, language_from_text
from surveys.models import (
    Answer,
    Question,
    Questionnaire,
    Recipient,
    Response,
    ResponseVersion,
    State,
)
from surveys.resolver import StateNotResolved, StateResolver
from surveys.services.bulk_writes import (
    default_history_user_id,
    history_insert,
    json_text,
    rows_insert,
    rows_update,
)
from surveys.services.imports import ImportOutcome, RowProblem
from surveys.services.reply_cells import (
    InvalidCell,
    answer_reader,
    channel_index,
    fold,
    parse_date,
)
from surveys.services.responses import answers_write
from surveys.spreadsheets import SpreadsheetError, read_rows

# Replies written per step of the progress bar.
WRITE_CHUNK = 2000
# django-simple-history's history_change_reason is 100 characters long.
CHANGE_REASON_LENGTH = 100

REQUIRED_COLUMNS = ("country", "received_on")
# What a header may say for each fixed column, after folding case, "_", "-" and spaces.
COLUMN_SYNONYMS = {
    **{name: "country" for name in (
        "country", "state", "member state", "country or area", "country name", "iso3",
        "iso", "iso code", "iso3 code", "iso alpha 3", "m49", "m49 code", "pays", "país",
        "pais")},
    **{name: "received_on" for name in (
        "received on", "received", "date received", "received date", "date of receipt",
        "receipt date", "reply received", "date")},
    **{name: "channel" for name in (
        "channel", "received through", "received via", "via", "how received")},
    **{name: "language" for name in (
        "language", "language of the original", "reply language", "lang")},
}
# Columns of Inquiry's own export (surveys.services.reply_export, wide layout) that say
# nothing to import: accepted and left aside, so that an export comes back unchanged.
EXPORT_ONLY_COLUMNS = {"region", "sub region", "ldc", "lldc", "sids", "timing", "version"}


class RowAction(models.TextChoices):
    NEW = "new", gettext_lazy("new")
    UPDATED = "updated", gettext_lazy("updated")
    UNCHANGED = "unchanged", gettext_lazy("unchanged")


@dataclass(slots=True)
class ReplyRow:
    """One row of the sheet as the preview shows it."""

    row: int
    country: str
    state: State | None = None
    received_on: datetime.date | None = None
    channel: str = ""
    language: str = ""
    action: str = ""  # a RowAction, or "" for a bad row
    messages: list[str] = field(default_factory=list)

    @property
    def line(self) -> int:
        return self.row + 1

    def get_action_display(self) -> str:
        return str(RowAction(self.action).label) if self.action else ""

    def get_channel_display(self) -> str:
        return str(Response.Channel(self.channel).label) if self.channel else ""


@dataclass
class ReplyImportOutcome(ImportOutcome):
    """:class:`ImportOutcome` with each row, for the admin's preview."""

    rows: list[ReplyRow] = field(default_factory=list)


Progress = Callable[..., Iterable]  # tqdm's signature: progress(iterable, total=, desc=, unit=)



def _cyclic_gc_paused(function):
    """Run ``function`` with Python's cyclic garbage collector paused.

    An import makes some millions of small objects (cells, answers, rows held in
    memory), none of them in cycles; the collector's passes over them were a third
    of the time of a 20,000-row import. Reference counting still frees everything as
    usual; the collector runs again afterwards.
    """
    @functools.wraps(function)
    def paused(*args, **kwargs):
        enabled = gc.isenabled()
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            if enabled:
                gc.enable()

    return paused


@_cyclic_gc_paused
def responses_import(*, questionnaire: Questionnaire, source, filename: str | None = None,
                     dry_run: bool = False, user=None,
                     progress: Progress | None = None) -> ReplyImportOutcome:
    """Import the replies in ``source`` (a .xlsx or .csv path, or bytes with ``filename``).

    With ``dry_run`` nothing is written and the outcome says what would be. ``progress``
    (tqdm's signature) wraps the pass over the rows and the writing steps.
    """
    try:
        table = read_rows(source, filename=filename)
    except SpreadsheetError as exc:
        return ReplyImportOutcome(file_errors=[str(exc)])
    if filename is None and isinstance(source, str | Path):
        filename = Path(source).name
    importer = _ReplyImport(questionnaire, table.headers, user=user, filename=filename or "")
    outcome = ReplyImportOutcome(total=len(table), file_errors=importer.file_errors)
    if importer.cannot_read_rows:
        return outcome
    if not len(table):
        outcome.file_errors.append(_("The sheet has no replies under its header."))
        return outcome
    with transaction.atomic():
        importer.load(lock=not dry_run)
        rows: Iterable = table
        if progress is not None:
            rows = progress(rows, total=len(table), desc=_("Checking"), unit=_("rows"))
        importer.check(rows, outcome, plan=not dry_run, lines=table.lines)
        if outcome.ok and not dry_run:
            importer.write(progress)
            outcome.written = True
    return outcome


def _header_key(header: str) -> str:
    return " ".join(header.replace("_", " ").replace("-", " ").split()).casefold()


# --- the import -------------------------------------------------------------------------------


@dataclass(slots=True)
class _Planned:
    """A new or changed reply waiting to be written."""

    recipient_id: int
    response: Response | None
    received_on: datetime.date
    channel: str
    language: str
    answers: list[tuple[int, str, object]]  # (question id, text, value)


@dataclass
class _Column:
    index: int
    header: str
    question: Question | None = None
    convert: Callable | None = None  # see answer_reader


class _ReplyImport:
    """One import: the sheet's columns, the maps read once, the rows checked, the writes."""

    def __init__(self, questionnaire: Questionnaire, headers: list[str], *, user, filename):
        self.questionnaire = questionnaire
        self.user = user
        self.filename = filename
        self.questions = list(questionnaire.questions.prefetch_related("choices"))
        self.file_errors: list[str] = []
        self.fixed: dict[str, _Column] = {}
        self.columns: list[_Column] = []
        self._read_headers(headers)
        self.cannot_read_rows = any(name not in self.fixed for name in REQUIRED_COLUMNS)
        self.planned: list[_Planned] = []

    # headers

    def _read_headers(self, headers: list[str]) -> None:
        codes = {q.code.casefold(): q for q in self.questions}
        unknown, seen = [], {}
        for index, header in enumerate(headers):
            if not header:
                continue  # refused only on the rows where it holds something
            key = _header_key(header)
            fixed = COLUMN_SYNONYMS.get(key)
            question = codes.get(header.casefold())
            if fixed and question:
                if key.replace(" ", "_") != fixed:
                    fixed = None  # a question's code wins over another name of a column
                else:
                    self.file_errors.append(
                        _("Column “%(header)s” could be the reply's %(column)s or the answer to "
                          "question %(code)s: rename the question.")
                        % {"header": header, "column": fixed, "code": question.code})
                    continue
            target = fixed or (question.code if question else None)
            if target is None:
                if key not in EXPORT_ONLY_COLUMNS:
                    unknown.append(f"“{header}”")
                continue
            if target == "country" and target in seen and "country_also" not in self.fixed:
                # Inquiry's export names the State twice ("State", "ISO3"): both must agree.
                self.fixed["country_also"] = _Column(index, header)
                continue
            if target in seen:
                self.file_errors.append(
                    _("Two columns mean “%(name)s” (“%(first)s” and “%(second)s”): keep one.")
                    % {"name": target, "first": seen[target], "second": header})
                continue
            seen[target] = header
            column = _Column(index, header, question)
            if fixed:
                self.fixed[fixed] = column
            else:
                column.convert = answer_reader(question)
                self.columns.append(column)
        self.nameless = [index for index, header in enumerate(headers) if not header]
        if unknown:
            self.file_errors.append(
                ngettext("Unknown column: %(columns)s. The columns are country, received_on, "
                         "channel, language and the question codes of %(code)s: %(codes)s.",
                         "Unknown columns: %(columns)s. The columns are country, received_on, "
                         "channel, language and the question codes of %(code)s: %(codes)s.",
                         len(unknown))
                % {"columns": ", ".join(unknown), "code": self.questionnaire.code,
                   "codes": ", ".join(q.code for q in self.questions)})
        missing = [name for name in REQUIRED_COLUMNS if name not in self.fixed]
        if missing:
            self.file_errors.append(_("The sheet has no “%(columns)s” column.")
                                    % {"columns": "”, “".join(missing)})
        if not self.columns and not missing:
            self.file_errors.append(_("The sheet has no column for any question of %(code)s.")
                                    % {"code": self.questionnaire.code})
        present = {column.question.pk for column in self.columns}
        absent = [q.code for q in self.questions if q.required and q.pk not in present
                  and q.type != Question.Type.FILE]
        if absent and self.columns:
            self.file_errors.append(
                ngettext("The sheet has no column for the required question %(codes)s.",
                         "The sheet has no column for the required questions %(codes)s.",
                         len(absent))
                % {"codes": ", ".join(absent)})

    # reads: a fixed number of queries, whatever the number of rows

    def load(self, *, lock: bool) -> None:
        self.resolver = StateResolver()
        recipients = Recipient.objects.filter(questionnaire=self.questionnaire).order_by()
        if lock:
            # Portal submissions lock their recipient too: they wait for this import.
            recipients = recipients.select_for_update()
        self.recipients = dict(recipients.values_list("state_id", "pk"))
        self.responses = {r.recipient_id: r for r in Response.objects.filter(
            recipient__questionnaire=self.questionnaire).order_by()}
        # Values are read as JSON text and each distinct one decoded once: answers repeat
        # (["yes"], "3"), and Django's per-row JSON decoding is most of the cost of reading
        # a few hundred thousand answers. Decoded values are shared: never mutated here.
        self.answers: dict[int, dict[int, tuple[int, str, object]]] = {}
        decoded: dict[str, object] = {}
        for pk, response_id, question_id, text, raw in (
                Answer.objects.filter(response__recipient__questionnaire=self.questionnaire)
                .order_by().annotate(raw=Cast("value", TextField()))
                .values_list("pk", "response_id", "question_id", "text", "raw")):
            value = decoded.get(raw) if raw is not None else None
            if value is None and raw is not None:
                value = decoded[raw] = json.loads(raw)
            self.answers.setdefault(response_id, {})[question_id] = (pk, text, value)

    # the pass over the rows

    def check(self, rows: Iterable, outcome: ReplyImportOutcome, *, plan: bool,
              lines: list[int] | None = None) -> None:
        today = timezone.localdate()
        channels = channel_index()
        offered = set(self.questionnaire.languages or [])
        language_names = dict(UN_LANGUAGES)
        main_language = self.questionnaire.default_language
        fixed = {name: column.index for name, column in self.fixed.items()}
        header = {name: column.header for name, column in self.fixed.items()}
        country_at, date_at = fixed["country"], fixed["received_on"]
        also_at = fixed.get("country_also")
        channel_at, language_at = fixed.get("channel"), fixed.get("language")
        columns = [(c.index, c.header, c.question, c.question.pk, c.convert,
                    c.question.required and c.question.type != Question.Type.FILE,
                    c.question.type == Question.Type.FILE) for c in self.columns]
        nameless = self.nameless
        first_row_of: dict[int, int] = {}

        for number, row in enumerate(rows, start=1):
            messages = []
            country = unescape(row[country_at])
            line = ReplyRow(number, str(country))
            outcome.rows.append(line)

            state = recipient_id = None
            try:
                state = line.state = self.resolver.resolve(country)
            except StateNotResolved as exc:
                messages.append(str(exc))
            if state is not None and also_at is not None and row[also_at] != "":
                try:
                    also = self.resolver.resolve(unescape(row[also_at]))
                except StateNotResolved as exc:
                    messages.append(f"{header['country_also']}: {exc}")
                else:
                    if also.pk != state.pk:
                        messages.append(
                            _("%(first)s names %(state)s but %(second)s names %(other)s.")
                            % {"first": header["country"], "state": state.name_en,
                               "second": header["country_also"], "other": also.name_en})
            if state is not None:
                first = first_row_of.setdefault(state.pk, number)
                if first != number:
                    messages.append(_("%(state)s is already on row %(row)s.")
                                    % {"state": state.name_en, "row": first})
                recipient_id = self.recipients.get(state.pk)
                if recipient_id is None:
                    messages.append(_("%(state)s is not a recipient of %(code)s.")
                                    % {"state": state.name_en, "code": self.questionnaire.code})

            received_on = unescape(row[date_at])
            if received_on == "":
                messages.append(_("%(column)s: no date.") % {"column": header["received_on"]})
            else:
                try:
                    received_on = line.received_on = parse_date(received_on)
                except InvalidCell as exc:
                    messages.append(f"{header['received_on']}: {exc}")
                else:
                    if received_on > today:
                        messages.append(_("%(column)s: %(date)s is in the future.")
                                        % {"column": header["received_on"],
                                           "date": received_on.isoformat()})

            channel = ""
            if channel_at is not None and (text := unescape(row[channel_at])) != "":
                channel = channels.get(fold(text), "")
                if not channel:
                    messages.append(
                        _("%(column)s: “%(text)s” is not a channel (email, fax, letter, portal "
                          "or import).") % {"column": header["channel"], "text": text})

            language = ""
            if language_at is not None and (text := unescape(row[language_at])) != "":
                language = language_from_text(str(text)) or ""
                if not language:
                    messages.append(_("%(column)s: “%(text)s” is not a UN language.")
                                    % {"column": header["language"], "text": text})
                elif language not in offered:
                    messages.append(_("%(column)s: %(code)s is not offered in %(language)s.")
                                    % {"column": header["language"],
                                       "code": self.questionnaire.code,
                                       "language": language_names[language]})
                    language = ""

            response = self.responses.get(recipient_id) if recipient_id else None
            reply_language = language or (response.language if response else main_language)
            answers = []
            for index, column_header, question, question_id, convert, required, is_file \
                    in columns:
                cell = row[index]
                if cell == "":
                    if required:
                        messages.append(_("%(column)s: an answer is required.")
                                        % {"column": column_header})
                    if not is_file:
                        answers.append((question_id, "", None))
                    continue
                if cell.__class__ is str and cell[0] == "'":
                    cell = unescape(cell)
                try:
                    text, value = convert(cell, reply_language)
                except InvalidCell as exc:
                    if is_file and response is not None and \
                            str(cell) == self._held(response, question)[1]:
                        continue  # the name of the file already held, as Inquiry exports it
                    messages.append(f"{column_header}: {exc}")
                    continue
                answers.append((question_id, text, value))
            for index in nameless:
                if row[index] != "":
                    messages.append(_("Column %(letter)s has no name but holds “%(text)s”.")
                                    % {"letter": get_column_letter(index + 1),
                                       "text": row[index]})

            line.language = reply_language
            if messages:
                outcome.problems.append(RowProblem(
                    number, messages, lines[number - 1] if lines else None))
                line.messages, line.channel = messages, channel
                continue
            line.action = self._compare(response, received_on, channel, language, answers)
            if line.action == RowAction.UNCHANGED:
                outcome.unchanged += 1
                line.channel = response.channel
                continue
            if line.action == RowAction.NEW:
                outcome.new += 1
            else:
                outcome.updated += 1
            line.channel = channel or Response.Channel.IMPORT
            if plan:
                self.planned.append(_Planned(recipient_id, response, received_on, line.channel,
                                             reply_language, answers))

    def _held(self, response: Response, question: Question) -> tuple[int | None, str, object]:
        """(id, text, value) of the answer held, or (None, "", None)."""
        return self.answers.get(response.pk, {}).get(question.pk, (None, "", None))

    def _compare(self, response, received_on, channel, language, answers) -> str:
        if response is None or response.status != Response.Status.SUBMITTED:
            return RowAction.NEW
        if response.received_on is None or received_on < response.received_on:
            return RowAction.UPDATED
        if (channel and channel != response.channel) or \
                (language and language != response.language):
            return RowAction.UPDATED
        held = self.answers.get(response.pk, {})
        for question_id, text, value in answers:
            old = held.get(question_id)
            if old is None:
                if text or value is not None:
                    return RowAction.UPDATED
            elif old[1] != text or old[2] != value:
                return RowAction.UPDATED
        return RowAction.UNCHANGED

    # writes

    def write(self, progress: Progress | None) -> None:
        chunks: Iterable = _chunks(self.planned, WRITE_CHUNK)
        if progress is not None:
            chunks = progress(chunks, total=-(-len(self.planned) // WRITE_CHUNK),
                              desc=_("Writing"),
                              unit=_("×%(n)s replies") % {"n": WRITE_CHUNK})
        now = timezone.now()
        note = _("Imported from %(file)s.") % {"file": self.filename} if self.filename else \
            _("Imported from a spreadsheet.")
        history = {"date": now, "reason": Truncator(note).chars(CHANGE_REASON_LENGTH)}
        for chunk in chunks:
            self._write_chunk(chunk, now, note, history)

    def _write_chunk(self, chunk: list[_Planned], now, note: str, history: dict) -> None:
        """Replies, answers and versions of ``chunk`` and the history of each change, as
        simple-history's bulk functions record them, written as prepared SQL."""
        user = self.user
        user_id = user.pk if user is not None else None
        response_user = default_history_user_id(Response, user)
        submitted = str(Response.Status.SUBMITTED)
        created = [item for item in chunk if item.response is None]
        changed = [item for item in chunk if item.response is not None]
        written: dict[int, tuple[int, int]] = {}  # id(item) → (response id, version)
        if created:
            rows_insert(Response, RESPONSE_FIELDS, [
                (item.recipient_id, submitted, str(item.channel), item.language,
                 item.received_on, now, user_id, 1, now) for item in created])
            ids = _ids_by_recipient([item.recipient_id for item in created])
            for item in created:
                written[id(item)] = (ids[item.recipient_id], 1)
            history_insert(Response, list(ids.values()), history_type="+",
                           user_id=response_user, **history)
        if changed:
            rows = []
            for item in changed:
                response = item.response
                response.status = submitted
                response.version += 1
                response.channel, response.language = str(item.channel), item.language
                response.submitted_at = response.updated_at = now
                if user is not None:
                    response.entered_by_id = user_id
                if response.received_on is None or item.received_on < response.received_on:
                    response.received_on = item.received_on
                written[id(item)] = (response.pk, response.version)
                rows.append((*(getattr(response, name) for name in RESPONSE_FIELDS[1:]),
                             response.pk))
            rows_update(Response, RESPONSE_FIELDS[1:], rows)
            history_insert(Response, [item.response.pk for item in changed], history_type="~",
                           user_id=response_user, **history)

        new_answers, changed_answers, versions = [], [], []
        codes = [(q.pk, q.code) for q in self.questions]
        as_json = _JsonTexts()
        for item in chunk:
            response_id, version = written[id(item)]
            held = self.answers.get(response_id, {})
            current = {question_id: (text, value) for question_id, (_pk, text, value)
                       in held.items()}
            for question_id, text, value in item.answers:
                old = held.get(question_id)
                if old is None:
                    new_answers.append((response_id, question_id, text, as_json(value), now))
                elif old[1] != text or old[2] != value:
                    changed_answers.append((text, as_json(value), now, old[0]))
                current[question_id] = (text, value)
            versions.append((response_id, version, now, item.received_on, str(item.channel),
                             item.language,
                             json_text({code: {"text": current[pk][0], "value": current[pk][1]}
                                        for pk, code in codes if pk in current}),
                             user_id, note))
        answers_write(new_answers, changed_answers, user=user, **history)
        rows_insert(ResponseVersion, ["response_id", "number", "submitted_at", "received_on",
                                      "channel", "language", "answers", "submitted_by_id",
                                      "note"], versions)


# Columns written for a new reply (its key comes from the database).
RESPONSE_FIELDS = ["recipient_id", "status", "channel", "language", "received_on",
                   "submitted_at", "entered_by_id", "version", "updated_at"]
# Keys per SELECT ... IN (...): within SQLite's oldest limit on parameters.
_IN_BATCH = 900


def _ids_by_recipient(recipient_ids: list[int]) -> dict[int, int]:
    """The keys of the replies just inserted for these recipients (one reply each)."""
    found = {}
    for start in range(0, len(recipient_ids), _IN_BATCH):
        found.update(Response.objects.filter(recipient_id__in=recipient_ids[start:
                                                                            start + _IN_BATCH])
                     .order_by().values_list("recipient_id", "pk"))
    return found


class _JsonTexts:
    """JSON text of answer values: answers share their values (``["yes"]``), so each
    is encoded once per chunk."""

    def __init__(self):
        self.done: dict[int, tuple[object, str | None]] = {}

    def __call__(self, value) -> str | None:
        if value is None:
            return None
        found = self.done.get(id(value))
        if found is None or found[0] is not value:
            found = self.done[id(value)] = (value, json_text(value))
        return found[1]


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
