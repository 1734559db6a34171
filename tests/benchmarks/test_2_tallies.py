"""2. Tallies and report data: every tally by region, as of a date, at 20,000 respondents.

Inquiry: what the report page computes (participation, the views overall and by
region, who holds each view) plus the tally by region of every choice question,
through :mod:`analysis.tallies`. Floor: the same figures from the fewest SELECTs
that can give them (the States asked with their replies; the final codings; the
choices made), each read straight into pandas, and the same groupby.
"""

from __future__ import annotations

import pandas as pd
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analysis import tallies
from surveys.models import Question
from tests.benchmarks.generator import AS_OF
from tests.benchmarks.measure import measure


def report_data(questionnaire):
    choice_codes = [q.code for q in questionnaire.questions.all() if q.has_choices]
    with tallies.one_reading():  # as the report workbook computes them
        return _report_data(questionnaire, choice_codes)


def _report_data(questionnaire, choice_codes):
    return {
        "participation": tallies.participation(questionnaire=questionnaire, as_of=AS_OF),
        "views": tallies.code_tally(questionnaire=questionnaire, as_of=AS_OF),
        "views_by_region": tallies.code_tally(questionnaire=questionnaire, as_of=AS_OF,
                                              by="region"),
        "holders": tallies.holders(questionnaire=questionnaire, as_of=AS_OF),
        "choices": {code: tallies.choice_tally(questionnaire=questionnaire, question_code=code,
                                               as_of=AS_OF, by="region")
                    for code in choice_codes},
    }


def _frame(sql, params, columns):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return pd.DataFrame(cursor.fetchall(), columns=columns)


def floor_data(questionnaire):
    """The same counts with hand-written SQL and pandas: the floor."""
    states = _frame(
        """SELECT r.id, s.region, s.iso3, s.name_en, p.status, p.received_on
           FROM surveys_recipient r JOIN surveys_state s ON s.id = r.state_id
           LEFT JOIN surveys_response p ON p.recipient_id = r.id
           WHERE r.questionnaire_id = %s""", [questionnaire.pk],
        ["recipient_id", "region", "iso3", "name", "status", "received_on"])
    received = pd.to_datetime(states["received_on"]).dt.date  # SQLite gives text
    states["replied"] = (states["status"] == "submitted") & (received <= AS_OF)
    by_region = states.groupby("region").agg(recipients=("recipient_id", "size"),
                                             respondents=("replied", "sum"))
    replied = states[states["replied"]]
    held = _frame(
        """SELECT DISTINCT c.code_id, p.recipient_id FROM analysis_coding c
           JOIN surveys_answer a ON a.id = c.answer_id
           JOIN surveys_response p ON p.id = a.response_id
           JOIN surveys_recipient r ON r.id = p.recipient_id
           WHERE c.final AND r.questionnaire_id = %s""", [questionnaire.pk],
        ["code_id", "recipient_id"]).merge(replied[["recipient_id", "region", "iso3", "name"]])
    views = held.groupby("code_id").size()
    views_by_region = held.groupby(["code_id", "region"]).size()
    holders = held.sort_values("name").groupby("code_id")[["iso3", "name"]].agg(list)
    values = "CROSS JOIN LATERAL jsonb_array_elements_text(a.value) AS v(value)" \
        if connection.vendor == "postgresql" else ", json_each(a.value) AS v"
    kinds = ", ".join(f"'{kind}'" for kind in Question.CHOICE_TYPES)
    chosen = _frame(
        f"""SELECT a.question_id, p.recipient_id, v.value FROM surveys_answer a
           JOIN surveys_response p ON p.id = a.response_id
           JOIN surveys_question q ON q.id = a.question_id {values}
           WHERE q.questionnaire_id = %s AND q.type IN ({kinds})""",  # noqa: S608 - constants
        [questionnaire.pk], ["question_id", "recipient_id", "value"]
    ).merge(replied[["recipient_id", "region"]])
    choices = chosen.groupby(["question_id", "value", "region"]).size()
    answered = chosen.drop_duplicates(["question_id", "recipient_id"]).groupby(
        ["question_id", "region"]).size()
    return by_region, views, views_by_region, holders, choices, answered


def test_tallies_against_pandas_floor(scale, table):
    floor = measure(lambda: floor_data(scale.big), repeat=3)
    run = measure(lambda: report_data(scale.big), repeat=3, name="tallies")
    # Same figures: the views by region and the respondents by region agree.
    data = run.result
    views = data["views"].set_index("key")["count"]
    assert views.sum() == floor.result[1].sum()
    participation = data["participation"]
    assert participation.respondents == int(floor.result[0]["respondents"].sum())

    with CaptureQueriesContext(connection) as small:
        report_data(scale.small)
    with CaptureQueriesContext(connection) as big:
        report_data(scale.big)
    ratio = run.seconds / floor.seconds
    table.add(f"2 tallies and report data, by region, as of {AS_OF} ({scale.n:,} respondents)",
              inquiry=run.seconds, floor=floor.seconds, goal="≤ 2×", met=ratio <= 2,
              peak_mb=run.peak_mb)
    same = len(small.captured_queries) == len(big.captured_queries)
    table.add(f"2 queries for the same report data: 195 vs {scale.n:,} respondents",
              inquiry=len(big.captured_queries), floor=len(small.captured_queries),
              ratio=len(big.captured_queries) / len(small.captured_queries), goal="equal",
              met=same, unit="queries")
    assert same
