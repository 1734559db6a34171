"""1. Import of replies (.xlsx): 20,000 rows × 20 questions.

Floor (a): the raw parse of the same file with the fastest reader there is
(python-calamine, the one Inquiry uses). Path (b): a plain django-import-export
``ModelResource`` importing the same rows row by row (its default), timed on a
sample and extrapolated. Inquiry is timed checking the file (a dry run: every cell
read and validated, every row compared with what is held) and importing it (the
same, plus the writes: replies, answers, versions and their history). Writes are
rolled back after each run, so every run imports into the same empty questionnaire.
"""

from __future__ import annotations

import contextlib

import pytest
from django.db import transaction
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

    runs, again = [], None
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
