"""1. Import of replies (.xlsx): 20,000 rows × 20 questions.

Floor (a): the raw parse of the same file with the fastest reader there is
(python-calamine, the one Inquiry uses). Path (b): a plain django-import-export
``ModelResource`` importing the same rows row by row (its default), timed on a
sample and extrapolated. Inquiry is timed checking the file (a dry run: every cell
read and validated, every row compared with what is held) and importing it (the
same, plus the writes: replies, answers, versions and their history). Writes are
rolled back after each run, so every run imports into the same empty questionnaire.

For reference (no goal), on PostgreSQL: the time to COPY the very rows the import
wrote into tables with the same indexes, the least any importer that writes them can
take.
"""

from __future__ import annotations

import contextlib
import time

import pytest
from django.db import connection, transaction
from import_export import fields, resources, widgets
from openpyxl import Workbook
from python_calamine import CalamineWorkbook

from surveys.models import Answer, Question, Recipient, Response, ResponseVersion
from surveys.services.reply_import import responses_import
from tests.benchmarks.generator import HEADER
from tests.benchmarks.measure import measure

PLAIN_SAMPLE = 100  # rows the plain library path imports; its time is scaled up


class _Rollback(Exception):
    pass


@contextlib.contextmanager
def rolled_back():
    """Run writes in a transaction that is undone at the end."""
    with contextlib.suppress(_Rollback), transaction.atomic():
        yield
        raise _Rollback


def parse_floor(path):
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()


@pytest.fixture(scope="module")
def parse(scale):
    return measure(lambda: parse_floor(scale.workbook), repeat=3)


def test_import_check_against_parse_floor(scale, parse, table):
    run = measure(lambda: responses_import(questionnaire=scale.target, source=scale.workbook,
                                           dry_run=True), repeat=3, name="import-check")
    outcome = run.result
    assert outcome.ok, outcome.problems[:3] or outcome.file_errors
    assert outcome.new == scale.n
    ratio = run.seconds / parse.seconds
    table.add(f"1a import {scale.n:,} rows: check (dry run) vs calamine parse",
              inquiry=run.seconds, floor=parse.seconds, goal="≤ 2×", met=ratio <= 2,
              peak_mb=run.peak_mb)


def test_import_against_parse_floor_and_plain_library(scale, parse, table, tmp_path):
    def run_import():
        return responses_import(questionnaire=scale.target, source=scale.workbook,
                                user=scale.coder)

    runs, again, copied = [], None, None
    for attempt in range(2):
        with rolled_back():
            run = measure(run_import, name=None if attempt else "import-write")
            assert run.result.written, run.result.problems[:3] or run.result.file_errors
            runs.append(run)
            if attempt == 0:
                answers = Answer.objects.filter(response__recipient__questionnaire=scale.target)
                assert answers.count() == scale.n * 20
                assert Answer.history.filter(history_type="+", response_id__in=answers.values(
                    "response_id")).count() == scale.n * 20
                copied = _copy_floor_seconds(scale) if connection.vendor == "postgresql" else None
                again = measure(run_import, name="import-again")
                assert again.result.unchanged == scale.n
                assert not again.result.new + again.result.updated
    best = min(runs, key=lambda r: r.seconds)
    ratio = best.seconds / parse.seconds
    table.add(f"1b import {scale.n:,} rows: all written, with history, vs calamine parse",
              inquiry=best.seconds, floor=parse.seconds, goal="≤ 2×", met=ratio <= 2,
              peak_mb=max(r.peak_mb for r in runs))
    table.add(f"1c import the same file again ({scale.n:,} unchanged rows) vs calamine parse",
              inquiry=again.seconds, floor=parse.seconds, goal="≤ 2×",
              met=again.seconds <= 2 * parse.seconds, peak_mb=again.peak_mb)

    plain = _plain_import_seconds(scale, tmp_path) * scale.n / PLAIN_SAMPLE
    speedup = plain / best.seconds
    table.add(f"1d import {scale.n:,} rows vs plain django-import-export, row by row",
              inquiry=best.seconds, floor=plain, ratio=speedup, goal="≥ 10× faster",
              met=speedup >= 10,
              note=f"plain ModelResource timed on {PLAIN_SAMPLE} rows (parse included) and "
                   f"scaled ×{scale.n / PLAIN_SAMPLE:.0f}; the ratio is how many times faster "
                   "Inquiry is")
    if copied is not None:
        table.add(f"1e for reference: the rows of 1b ({scale.n * 20:,} answers, their history, "
                  "replies, versions) only COPYed into tables with the same indexes, vs calamine "
                  "parse", inquiry=copied, floor=parse.seconds, goal="no goal", met=None,
                  note=f"1b takes {best.seconds / copied:.2f}× this bare write")


# --- for reference: the writes alone -------------------------------------------------------------


def _copy_floor_seconds(scale) -> float:
    """The time to write the rows an import writes, and nothing else: the replies,
    answers, versions and history records just imported are read back (untimed), then
    COPYed into new tables made LIKE the real ones (same columns, defaults and indexes;
    no foreign keys), in the same transaction. No importer that writes these rows can
    take less; the difference with 1b is the import's own work (reading, checking,
    deciding what changes) plus the foreign-key checks."""
    from surveys.models import ResponseVersion

    tables = []
    for model, rows in (
            (Response, Response.objects.filter(recipient__questionnaire=scale.target)),
            (Response.history.model, Response.history.filter(
                recipient__questionnaire=scale.target)),
            (Answer, Answer.objects.filter(response__recipient__questionnaire=scale.target)),
            (Answer.history.model, Answer.history.filter(
                response__recipient__questionnaire=scale.target)),
            (ResponseVersion, ResponseVersion.objects.filter(
                response__recipient__questionnaire=scale.target))):
        columns = [field.column for field in model._meta.concrete_fields]
        keys, params = rows.values("pk").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {', '.join(columns)} FROM {model._meta.db_table} "  # noqa: S608
                           f"WHERE {model._meta.pk.column} IN ({keys})", params)
            tables.append((model._meta.db_table, columns, cursor.fetchall()))
    with connection.cursor() as cursor:
        for name, _columns, _rows in tables:
            cursor.execute(f"CREATE TABLE bench_copy_{name} (LIKE {name} INCLUDING ALL)")
        started = time.perf_counter()
        for name, columns, rows in tables:
            with cursor.cursor.copy(f"COPY bench_copy_{name} ({', '.join(columns)}) "
                                    "FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        seconds = time.perf_counter() - started
        for name, _columns, _rows in tables:
            cursor.execute(f"DROP TABLE bench_copy_{name}")
    return seconds


# --- (b) the plain library path -----------------------------------------------------------------


class _RecipientWidget(widgets.ForeignKeyWidget):
    def __init__(self, questionnaire):
        super().__init__(Recipient, field="state__name_en")
        self.questionnaire = questionnaire

    def get_queryset(self, value, row, *args, **kwargs):
        return Recipient.objects.filter(questionnaire=self.questionnaire)


def plain_resource(questionnaire):
    """The library's own way: a ModelResource, one row at a time, answers saved one by one."""
    questions = {q.code: q for q in questionnaire.questions.all()}

    class PlainReplyResource(resources.ModelResource):
        recipient = fields.Field(attribute="recipient", column_name="country",
                                 widget=_RecipientWidget(questionnaire))

        class Meta:
            model = Response
            fields = ("recipient", "received_on", "channel", "language")
            import_id_fields = ("recipient",)

        def before_save_instance(self, instance, row, **kwargs):
            instance.status = Response.Status.SUBMITTED
            instance.version += 1

        def after_save_instance(self, instance, row, **kwargs):
            if kwargs.get("dry_run"):
                return
            answers = {}
            for code, question in questions.items():
                value = row.get(code)
                text = "" if value is None else str(value)
                Answer.objects.update_or_create(response=instance, question=question,
                                                defaults={"text": text})
                answers[code] = {"text": text, "value": None}
            ResponseVersion.objects.create(
                response=instance, number=instance.version, submitted_at=instance.updated_at,
                received_on=instance.received_on, channel=instance.channel,
                language=instance.language, answers=answers)

    return PlainReplyResource()


def _plain_import_seconds(scale, tmp_path) -> float:
    from import_export.formats.base_formats import XLSX

    rows = parse_floor(scale.workbook)[:PLAIN_SAMPLE + 1]
    path = tmp_path / "sample.xlsx"
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    assert rows[0] == HEADER

    def run():
        with rolled_back():
            dataset = XLSX().create_dataset(path.read_bytes())
            result = plain_resource(scale.target).import_data(
                dataset, dry_run=False, raise_errors=True, use_transactions=False)
            assert not result.has_errors()
            assert Answer.objects.filter(
                response__recipient__questionnaire=scale.target,
                question__type=Question.Type.TEXT).count() == PLAIN_SAMPLE * 10

    return measure(run).seconds
