"""Charts: the cumulative replies with the dates that explain them, and the views as bars."""

from __future__ import annotations

import datetime
import warnings
import xml.etree.ElementTree as ET

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analysis import charts
from tests.analysis.test_maps import (
    PNG_SIGNATURE,
    add_reminder,
    code_answers,
    make_case,
    make_codes,
    replies_2008,
)

D = datetime.date


def test_timeline_counts_every_submitted_reply_by_the_day_received(registry):
    answers = {"forum": "Useful."}
    questionnaire = make_case(registry, replies=replies_2008(CHN=(D(2008, 8, 1), answers)),
                              drafts=[])
    make_case(registry, code="OTHER", replies={"FRA": (D(2008, 4, 1), answers)})
    add_reminder(questionnaire, D(2008, 4, 16))
    add_reminder(questionnaire, D(2008, 5, 7))

    with CaptureQueriesContext(connection) as queries:
        series = charts.timeline_series(questionnaire=questionnaire, map_date=D(2008, 6, 30))

    assert len(queries) == 2
    assert series.total == 5  # every reply, including the one after the cut-off
    assert series.days[0] == D(2008, 4, 10) and series.days[-1] == D(2008, 8, 1)
    assert series.cumulative == sorted(series.cumulative)
    assert series.count_by(D(2008, 6, 30)) == 3
    assert series.count_by(D(2008, 3, 31)) == 0
    assert [(m.kind, m.day) for m in series.markers] == [
        ("sent", D(2008, 3, 18)), ("reminder", D(2008, 4, 16)), ("deadline", D(2008, 4, 30)),
        ("reminder", D(2008, 5, 7)), ("map", D(2008, 6, 30)), ("cutoff", D(2008, 7, 15))]
    assert [m.label for m in series.markers if m.kind == "reminder"] == ["Reminder 1",
                                                                       "Reminder 2"]


def test_timeline_images(registry):
    questionnaire = make_case(registry, replies=replies_2008())
    add_reminder(questionnaire, D(2008, 4, 27))

    svg = charts.replies_timeline(questionnaire=questionnaire, fmt="svg",
                                  map_date=D(2008, 6, 30))
    png = charts.replies_timeline(questionnaire=questionnaire, fmt="png")

    ET.fromstring(svg)  # noqa: S314 - our own output; it is well-formed
    text = svg.decode()
    for label in ("Deadline", "Report cut-off", "Reminder 1", "Sent", "Map date",
                  "4 in all"):
        assert label in text
    assert png.startswith(PNG_SIGNATURE)


def test_timeline_of_a_questionnaire_without_replies_or_dates(registry):
    questionnaire = make_case(registry, sent_on=None, cutoff=None)
    svg = charts.replies_timeline(questionnaire=questionnaire)
    assert "0 in all" in svg.decode()


def test_views_bar_labels_each_code_with_its_count_and_base(registry):
    answers = {"forum": "Useful."}
    questionnaire = make_case(registry, replies={"FRA": (D(2008, 4, 10), answers),
                                                 "SEN": (D(2008, 5, 10), answers),
                                                 "BRA": (D(2008, 6, 10), answers)})
    codes = make_codes(questionnaire)
    code_answers(questionnaire, codes, {"FRA": ["useful", "sole"], "SEN": ["useful"]})
    code_answers(questionnaire, codes, {"BRA": ["useful"]}, final=False)  # not reconciled

    svg = charts.views_bar(questionnaire=questionnaire, fmt="svg").decode()

    assert "The Forum is useful" in svg and "2 of 3" in svg
    assert "The Forum should be the sole follow-up" in svg and "1 of 3" in svg
    assert charts.views_bar(questionnaire=questionnaire, fmt="png").startswith(PNG_SIGNATURE)


def test_views_bar_draws_chinese_labels_with_a_cjk_font(registry):
    if "Noto Sans CJK SC" not in charts.font_families():
        pytest.skip("fonts-noto-cjk is not installed")
    questionnaire = make_case(registry, replies={"CHN": (D(2008, 4, 10), {"forum": "有用"})})
    codes = make_codes(questionnaire, keys=(("useful", "论坛是有用的成果"),))
    code_answers(questionnaire, codes, {"CHN": ["useful"]})

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font(s)" would fail
        png = charts.views_bar(questionnaire=questionnaire, fmt="png")
    assert png.startswith(PNG_SIGNATURE)


def test_labels_are_text_not_tex(registry):
    questionnaire = make_case(registry, replies={"FRA": (D(2008, 4, 10), {"forum": "Yes"})})
    # As TeX, "$^$" would not even draw (matplotlib raises ValueError).
    codes = make_codes(questionnaire, keys=(("fund", "Costs in $^$ (US dollars)"),))
    code_answers(questionnaire, codes, {"FRA": ["fund"]})
    assert "Costs in $^$ (US dollars)" in charts.views_bar(questionnaire=questionnaire).decode()


def test_an_empty_codebook_still_draws(registry):
    questionnaire = make_case(registry)
    assert "No codebook yet" in charts.views_bar(questionnaire=questionnaire).decode()
