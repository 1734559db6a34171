"""A synthetic questionnaire at a hundred times the 2008 scale, the same on every run.

20,000 synthetic "States" (ISO3 codes with a digit, M49 codes from 1000: they can
never be mistaken for real ones), one questionnaire of 20 questions of every
kind answered by all of them (400,000 answers, each reply with its frozen
version), a codebook of 30 codes applied to the free-text answers in the final
coding, the same questionnaire answered by the 195 real States (to compare query
counts), and the workbook of replies the import benchmark reads. Everything is
drawn from ``random.Random(SEED)``: two runs build the same data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import random
import string
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone
from openpyxl import Workbook

from analysis.models import Code, Coding
from surveys.models import Answer as AnswerModel
from surveys.models import (
    Choice,
    Question,
    Questionnaire,
    Recipient,
    Response,
    ResponseVersion,
    State,
)
from surveys.services.bulk_writes import json_text as as_json
from surveys.services.bulk_writes import rows_insert
from surveys.services.questionnaires import question_ensure_yes_no_choices

SEED = 20080318  # the day the 2008 questionnaire went out
SENT_ON = dt.date(2008, 3, 18)
DEADLINE = dt.date(2008, 4, 30)
CUTOFF = dt.date(2008, 7, 15)
AS_OF = dt.date(2008, 6, 30)  # the map's date in A/63/269: tallies are measured as of it
N_CODES = 30

# 20 questions: (code, type); ten free-text answers, the rest of every other kind.
QUESTIONS = [
    ("q01", Question.Type.TEXT), ("q02", Question.Type.YES_NO), ("q03", Question.Type.TEXT),
    ("q04", Question.Type.SINGLE), ("q05", Question.Type.TEXT), ("q06", Question.Type.MULTIPLE),
    ("q07", Question.Type.TEXT), ("q08", Question.Type.NUMBER), ("q09", Question.Type.TEXT),
    ("q10", Question.Type.YES_NO), ("q11", Question.Type.TEXT), ("q12", Question.Type.SINGLE),
    ("q13", Question.Type.TEXT), ("q14", Question.Type.MULTIPLE), ("q15", Question.Type.DATE),
    ("q16", Question.Type.TEXT), ("q17", Question.Type.YES_NO), ("q18", Question.Type.TEXT),
    ("q19", Question.Type.SINGLE), ("q20", Question.Type.TEXT),
]
CHOICES = [("forum", "The Global Forum"), ("agenda", "The General Assembly's agenda"),
           ("dialogue", "A new high-level dialogue"), ("regional", "Regional meetings"),
           ("thematic", "Thematic meetings")]
LANGUAGES = ["en"] * 8 + ["fr", "es"]
CHANNELS = ["E-mail", "Fax", "letter", "email", "fax"]
HEADER = ["country", "received_on", "channel", "language", *[code for code, _ in QUESTIONS]]

_SUBJECTS = ["The Global Forum", "The High-level Dialogue", "Regional consultation",
             "Our Government", "The Ministry of Labour", "Civil society", "The diaspora",
             "Bilateral cooperation", "The General Assembly", "Remittance policy"]
_VERBS = ["is a useful outcome", "should remain informal", "needs more time",
          "should be linked more closely to the United Nations", "deserves continued support",
          "has improved coordination", "should be the sole follow-up",
          "should report to the General Assembly", "complements regional processes",
          "requires better data"]
_ENDINGS = ["", " in our view.", ", as stated in our note verbale.",
            " and periodic high-level dialogues.", " (see annex).", " for developing countries."]


@dataclass
class Reply:
    state_id: int
    received_on: dt.date
    channel: str  # as written in the sheet
    language: str
    cells: list  # the question columns, as written in the sheet
    answers: list[tuple[str, object]] = field(default_factory=list)  # (text, value) stored


@dataclass
class Scale:
    """What the benchmarks measure, created once per session."""

    n: int
    big: Questionnaire  # answered by the n synthetic States
    small: Questionnaire  # the same questions, answered by the 195 real States
    target: Questionnaire  # the n synthetic States as recipients, no replies: imports go here
    states: list[int]
    workbook: Path
    coder: User
    rows: int = 0


def allocate_ids(model, count: int) -> list[int]:
    """``count`` new keys for ``model``, taken as a block (the generator writes alone)."""
    table, column = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT setval(pg_get_serial_sequence(%s, %s), "
                           "nextval(pg_get_serial_sequence(%s, %s)) + %s - 1)",
                           [table, column, table, column, count])
            last = cursor.fetchone()[0]
            return list(range(last - count + 1, last + 1))
        cursor.execute(f'SELECT COALESCE(MAX("{column}"), 0) FROM "{table}"')  # noqa: S608
        top = cursor.fetchone()[0]
        cursor.execute("SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = %s",
                       [table])
        top = max(top, (cursor.fetchone() or [0])[0])
    return list(range(top + 1, top + 1 + count))


def _iso3_codes(n: int) -> list[str]:
    """Three characters, at least one digit and one letter: never an ISO code or an M49."""
    alphabet = string.digits + string.ascii_uppercase
    codes = ["".join(c) for c in itertools.product(alphabet, repeat=3)
             if any(ch.isdigit() for ch in c) and any(ch.isalpha() for ch in c)]
    return codes[:n]


def _iso2_codes(n: int) -> list[str]:
    # Two characters from the Private Use Area: unique, and no one writes them.
    return [chr(0xE000 + i // 200) + chr(0xE000 + i % 200) for i in range(n)]


def synthetic_states(n: int, rng: random.Random) -> list[int]:
    """Create ``n`` synthetic States (one statement per 20,000); their ids."""
    regions = list(State.objects.filter(m49__lt=1000).order_by("m49")
                   .values_list("region", "subregion"))
    existing = list(State.objects.filter(m49__gte=1000).order_by("m49").values_list("pk",
                                                                                    flat=True))
    if len(existing) >= n:
        return existing[:n]
    ids = allocate_ids(State, n)
    names = {"ar": "دولة اصطناعية", "zh": "合成国", "en": "Synthetic State",
             "fr": "État synthétique", "ru": "Синтетическое государство", "es": "Estado sintético"}
    formal = {"ar": "الجمهورية الاصطناعية", "zh": "合成共和国", "en": "the Synthetic Republic",
              "fr": "la République synthétique", "ru": "Синтетическая Республика",
              "es": "la República Sintética"}
    fields = ["id", "iso2", "iso3", "m49", *[f"name_{s}" for s in names],
              *[f"formal_name_{s}" for s in formal], "other_names", "region", "subregion",
              "intermediate_region", "is_ldc", "is_lldc", "is_sids", "is_developed", "status",
              "admitted_year"]

    def rows():
        for i, (pk, iso2, iso3) in enumerate(zip(ids, _iso2_codes(n), _iso3_codes(n),
                                                 strict=True)):
            number = f"{i + 1:05d}"
            region, subregion = regions[rng.randrange(len(regions))]
            yield (pk, iso2, iso3, 1000 + i,
                   *[f"{name} {number}" for name in names.values()],
                   *[f"{name} {number}" for name in formal.values()],
                   as_json([f"SYNTHETIC STATE {number}"]), region, subregion, "",
                   rng.random() < 0.2, rng.random() < 0.15, rng.random() < 0.2,
                   region == "Europe", State.Status.MEMBER.value, None)

    rows_insert(State, fields, rows())
    return ids


def questionnaire_create(code: str) -> Questionnaire:
    questionnaire = Questionnaire.objects.create(
        code=code, title={"en": f"Benchmark {code}"}, sent_on=SENT_ON, deadline=DEADLINE,
        cutoff=CUTOFF, status=Questionnaire.Status.OPEN)
    for order, (code_, kind) in enumerate(QUESTIONS, start=1):
        question = questionnaire.questions.create(
            order=order, code=code_, type=kind, required=order == 1,
            text={"en": f"Question {order}", "fr": f"Question {order}"})
        if kind == Question.Type.YES_NO:
            question_ensure_yes_no_choices(question=question)
        elif kind in (Question.Type.SINGLE, Question.Type.MULTIPLE):
            Choice.objects.bulk_create(
                Choice(question=question, order=n, value=value, label={"en": label})
                for n, (value, label) in enumerate(CHOICES))
    return questionnaire


def recipients_create(questionnaire: Questionnaire, state_ids: list[int]) -> list[int]:
    ids = allocate_ids(Recipient, len(state_ids))
    now = timezone.now()

    def rows():
        for pk, state_id in zip(ids, state_ids, strict=True):
            salt = hashlib.md5(f"{questionnaire.code}:{state_id}".encode()).hexdigest()  # noqa: S324
            yield (pk, questionnaire.pk, state_id, None, salt,
                   hashlib.sha256(f"bench:{salt}".encode()).hexdigest(), now, False,
                   now, 0, None, None, "")

    rows_insert(Recipient, ["id", "questionnaire", "state", "addressee", "token_salt",
                            "token_hash", "token_created_at", "link_revoked", "invited_at",
                            "reminder_count", "last_reminded_at", "declined_on",
                            "decline_note"], rows())
    return ids


def _sentences(rng: random.Random) -> list[str]:
    return [f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)}{rng.choice(_ENDINGS)}".rstrip()
            for _ in range(400)]


def replies_draw(state_ids: list[int], rng: random.Random) -> list[Reply]:
    """Every State's reply as the sheet holds it (deterministic)."""
    sentences = _sentences(rng)
    labels = [label for _value, label in CHOICES]
    replies = []
    for state_id in state_ids:
        cells = []
        for _code, kind in QUESTIONS:
            if kind == Question.Type.TEXT:
                cell = rng.choice(sentences)
            elif kind == Question.Type.YES_NO:
                cell = rng.choice(["Yes", "Yes", "No", "no opinion"])
            elif kind == Question.Type.SINGLE:
                cell = rng.choice(labels)
            elif kind == Question.Type.MULTIPLE:
                cell = "; ".join(rng.sample([v for v, _ in CHOICES], rng.randint(1, 3)))
            elif kind == Question.Type.NUMBER:
                cell = rng.choice([0, 1, 2, 3, 5, 12.5, 40])
            else:
                cell = SENT_ON + dt.timedelta(days=rng.randrange(400))
            cells.append(cell)
        replies.append(Reply(state_id, SENT_ON + dt.timedelta(days=rng.randint(3, 140)),
                             rng.choice(CHANNELS), rng.choice(LANGUAGES), cells))
    return replies


def _stored(questionnaire: Questionnaire, replies: list[Reply]) -> None:
    """Fill each reply's (text, value) as the importer stores them."""
    from surveys.services.reply_cells import answer_reader

    questions = list(questionnaire.questions.prefetch_related("choices"))
    readers = [answer_reader(q) for q in questions]
    for reply in replies:
        reply.answers = [read(cell, reply.language) for read, cell in
                         zip(readers, reply.cells, strict=True)]


_CHANNEL_VALUES = {"E-mail": "email", "Fax": "fax", "letter": "letter", "email": "email",
                   "fax": "fax"}


def replies_store(questionnaire: Questionnaire, recipient_ids: list[int],
                  replies: list[Reply]) -> list[list[int]]:
    """Responses, their versions and answers, written straight to the tables; the
    answers' ids per reply (for the codings)."""
    _stored(questionnaire, replies)
    now = timezone.now()
    questions = list(questionnaire.questions.order_by("order"))
    response_ids = allocate_ids(Response, len(replies))
    rows_insert(Response, ["id", "recipient", "status", "channel", "language", "received_on",
                           "submitted_at", "entered_by", "version", "updated_at"],
                ((pk, recipient_id, Response.Status.SUBMITTED.value, _CHANNEL_VALUES[r.channel],
                  r.language, r.received_on,
                  timezone.make_aware(dt.datetime.combine(r.received_on, dt.time(12))),
                  None, 1, now)
                 for pk, recipient_id, r in zip(response_ids, recipient_ids, replies,
                                                strict=True)))
    rows_insert(ResponseVersion, ["response", "number", "submitted_at", "received_on",
                                  "channel", "language", "answers", "submitted_by",
                                  "submission_key", "note"],
                ((pk, 1, now, r.received_on, _CHANNEL_VALUES[r.channel], r.language,
                  as_json({q.code: {"text": t, "value": v}
                           for q, (t, v) in zip(questions, r.answers, strict=True)}),
                  None, None, "")
                 for pk, r in zip(response_ids, replies, strict=True)))
    answer_ids = allocate_ids(AnswerModel, len(replies) * len(questions))
    per_reply = [answer_ids[i * len(questions):(i + 1) * len(questions)]
                 for i in range(len(replies))]
    rows_insert(AnswerModel, ["id", "response", "question", "text", "value", "updated_at"],
                ((aid, pk, q.pk, text, as_json(value), now)
                 for pk, ids, r in zip(response_ids, per_reply, replies, strict=True)
                 for aid, q, (text, value) in zip(ids, questions, r.answers, strict=True)))
    return per_reply


def codings_store(questionnaire: Questionnaire, answer_ids: list[list[int]], coder: User,
                  rng: random.Random) -> int:
    """A codebook of 30 codes, applied (final coding) to about a third of the text answers."""
    codes = Code.objects.bulk_create(
        Code(questionnaire=questionnaire, key=f"view{n:02d}", label=f"View number {n}",
             order=n) for n in range(1, N_CODES + 1))
    text_positions = [i for i, (_c, kind) in enumerate(QUESTIONS) if kind == Question.Type.TEXT]
    now = timezone.now()
    rows = []
    for ids in answer_ids:
        for position in text_positions:
            if rng.random() < 0.35:
                for code in rng.sample(codes, rng.choice([1, 1, 2])):
                    rows.append((ids[position], code.pk, coder.pk, True, "", now))
    rows_insert(Coding, ["answer", "code", "coder", "final", "excerpt", "created_at"],
                       rows)
    return len(rows)


def workbook_write(path: Path, questionnaire: Questionnaire, replies: list[Reply]) -> Path:
    """The sheet of replies as staff would upload it: names, dates, labels, numbers."""
    names = dict(State.objects.filter(pk__in=[r.state_id for r in replies])
                 .values_list("pk", "name_en"))
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Replies")
    sheet.append(HEADER)
    for reply in replies:
        sheet.append([names[reply.state_id], reply.received_on, reply.channel, reply.language,
                      *reply.cells])
    workbook.save(path)
    return path


def scale_build(n: int, directory: Path) -> Scale:
    rng = random.Random(SEED)
    coder, _ = User.objects.get_or_create(username="bench-coder")
    state_ids = synthetic_states(n, rng)
    real_ids = list(State.objects.filter(m49__lt=1000).order_by("m49").values_list("pk",
                                                                                   flat=True))
    big, small, target = (questionnaire_create(code) for code in ("BENCH", "BENCH-195",
                                                                   "BENCH-IMPORT"))
    replies = replies_draw(state_ids, rng)
    big_answers = replies_store(big, recipients_create(big, state_ids), replies)
    codings_store(big, big_answers, coder, rng)
    small_replies = replies_draw(real_ids, rng)
    small_answers = replies_store(small, recipients_create(small, real_ids), small_replies)
    codings_store(small, small_answers, coder, rng)
    recipients_create(target, state_ids)
    workbook = workbook_write(directory / "replies.xlsx", target, replies)
    return Scale(n=n, big=big, small=small, target=target, states=state_ids,
                 workbook=workbook, coder=coder, rows=len(replies))
