"""Tallies count replying States holding each view in the final coding, by any date
and group, from a fixed number of queries.

The builders at the top (a questionnaire, replies, codes, codings made with the ORM)
are shared by the agreement, reconciliation and phrasing tests.
"""

from __future__ import annotations

import datetime

import pandas as pd
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analysis import tallies
from analysis.models import Code, Coding
from surveys.models import Answer, Question, Questionnaire, Response, State
from surveys.services.recipients import recipients_add
from surveys.services.responses import response_save

DEADLINE = datetime.date(2008, 4, 30)
CUTOFF = datetime.date(2008, 7, 15)
ON_TIME = datetime.date(2008, 4, 20)
LATE = datetime.date(2008, 6, 10)
AFTER_CUTOFF = datetime.date(2008, 8, 1)

# --- builders shared by the analysis tests ------------------------------------------------------


def make_survey(code="T-2008", *, states=(), deadline=DEADLINE, cutoff=CUTOFF) -> Questionnaire:
    """A questionnaire of two free-text questions and three choice questions, sent to
    ``states``."""
    questionnaire = Questionnaire.objects.create(
        code=code, title={"en": "Test questionnaire"}, deadline=deadline, cutoff=cutoff,
        status=Questionnaire.Status.OPEN)
    for order, (qcode, kind) in enumerate([("q1", "text"), ("q2", "text"), ("yn", "yes_no"),
                                           ("one", "single"), ("many", "multiple")], 1):
        question = Question.objects.create(questionnaire=questionnaire, order=order, code=qcode,
                                           type=kind, text={"en": f"Question {qcode}"})
        if kind in ("single", "multiple"):
            for n, value in enumerate(["a", "b", "c"]):
                question.choices.create(order=n, value=value, label={"en": f"Choice {value}"})
    if states:
        recipients_add(questionnaire=questionnaire, states=list(states))
    return questionnaire


def reply(questionnaire, state, *, on=ON_TIME, submit=True, **answers) -> Response:
    """A reply received on ``on``; every text question is answered unless given."""
    data = {"q1": f"{state.name_en} answers q1.", "q2": f"{state.name_en} answers q2.",
            **answers}
    recipient = questionnaire.recipients.get(state=state)
    return response_save(recipient=recipient, data=data, language="en", submit=submit,
                         channel="letter", received_on=on).response


def answer(questionnaire, state, question="q1") -> Answer:
    return Answer.objects.get(response__recipient__questionnaire=questionnaire,
                              response__recipient__state=state, question__code=question)


def make_code(questionnaire, key, *, question=None, group="", order=0) -> Code:
    q = questionnaire.questions.get(code=question) if question else None
    return Code.objects.create(questionnaire=questionnaire, key=key, label=f"View {key}",
                               question=q, exclusive_group=group, order=order)


def code_it(code, state, coder, *, question="q1", final=False, excerpt="") -> Coding:
    return Coding.objects.create(answer=answer(code.questionnaire, state, question), code=code,
                                 coder=coder, final=final, excerpt=excerpt)


@pytest.fixture
def coders(django_user_model):
    return [django_user_model.objects.create_user(name) for name in ("ann", "ben", "cai")]


@pytest.fixture
def five(registry):
    """Five States of different regions and groups: France (developed, Europe),
    Senegal (LDC, Africa), Mali (LDC, LLDC, Africa), Fiji (SIDS, Oceania), Chile."""
    return [registry[iso3] for iso3 in ("FRA", "SEN", "MLI", "FJI", "CHL")]


@pytest.fixture
def survey(five, coders):
    """All five asked; four replied (France late, Chile after the cut-off, Fiji not at
    all... and Mali on time): counts by the cut-off are over FRA, SEN, MLI."""
    questionnaire = make_survey(states=five)
    fra, sen, mli, fji, chl = five
    reply(questionnaire, fra, on=LATE, yn="yes", one="a", many=["a", "b"])
    reply(questionnaire, sen, on=ON_TIME, yn="no", one="b", many=["b"])
    reply(questionnaire, mli, on=ON_TIME, yn="yes", one="a", many=[])
    reply(questionnaire, chl, on=AFTER_CUTOFF, yn="yes", one="c", many=["c"])
    reply(questionnaire, fji, submit=False)  # a draft: not a reply
    return questionnaire


# --- respondents and participation --------------------------------------------------------------


def test_respondents_are_the_states_whose_submitted_reply_arrived_by_the_cutoff(survey, five):
    frame = tallies.respondents(questionnaire=survey)
    assert list(frame["iso3"]) == ["FRA", "MLI", "SEN"]  # by name; no draft, no late one
    assert list(frame.columns) == tallies.RESPONDENT_COLUMNS
    france = frame.set_index("iso3").loc["FRA"]
    assert france["timing"] == "late" and france["channel"] == "letter"
    assert france["is_developed"] and france["is_member"]
    assert set(tallies.respondents(questionnaire=survey, as_of=AFTER_CUTOFF)["iso3"]) == {
        "FRA", "MLI", "SEN", "CHL"}
    assert set(tallies.respondents(questionnaire=survey, as_of=LATE)["iso3"]) == {
        "FRA", "MLI", "SEN"}
    assert set(tallies.respondents(questionnaire=survey, as_of=ON_TIME)["iso3"]) == {
        "MLI", "SEN"}


def test_participation_counts_recipients_respondents_on_time_and_late(survey):
    figures = tallies.participation(questionnaire=survey)
    assert (figures.recipients, figures.respondents, figures.on_time, figures.late) == (5, 3, 2, 1)
    assert figures.as_of == CUTOFF and figures.all_members
    by_region = figures.by_region.set_index("region")
    assert by_region.loc["Africa", "recipients"] == 2
    assert by_region.loc["Africa", "respondents"] == 2
    assert by_region.loc["Oceania", "respondents"] == 0
    assert by_region["recipients"].sum() == 5 and by_region["respondents"].sum() == 3
    earlier = tallies.participation(questionnaire=survey, as_of=datetime.date(2008, 4, 1))
    assert (earlier.respondents, earlier.on_time, earlier.late) == (0, 0, 0)


def test_without_a_cutoff_the_replies_received_so_far_count(five):
    questionnaire = make_survey(states=five, cutoff=None)
    reply(questionnaire, five[0], on=AFTER_CUTOFF)
    assert len(tallies.respondents(questionnaire=questionnaire)) == 1


# --- code tallies -------------------------------------------------------------------------------


def test_a_state_holding_a_view_in_two_answers_counts_once(survey, five, coders):
    fra, sen, mli, _fji, chl = five
    ann, ben, _cai = coders
    useful = make_code(survey, "useful", order=1)
    sole = make_code(survey, "sole", order=2)
    code_it(useful, fra, ann, question="q1", final=True)
    code_it(useful, fra, ann, question="q2", final=True)  # the same view, twice: one State
    code_it(useful, fra, ben, question="q1", final=True)  # and a second reconciler's row
    code_it(useful, sen, ann, final=True)
    code_it(useful, chl, ann, final=True)  # after the cut-off: not counted
    code_it(useful, mli, ann)  # a coder's own coding: not counted until reconciled
    code_it(sole, sen, ann, final=True)

    table = tallies.code_tally(questionnaire=survey)
    assert list(table.columns) == ["key", "label", "count", "respondents", "recipients",
                                   "share_respondents", "share_recipients"]
    assert table.to_dict("records")[0] == {
        "key": "useful", "label": "View useful", "count": 2, "respondents": 3, "recipients": 5,
        "share_respondents": 2 / 3, "share_recipients": 2 / 5}
    assert list(table["key"]) == ["useful", "sole"]  # codebook order
    assert list(table["count"]) == [2, 1]

    later = tallies.code_tally(questionnaire=survey, as_of=AFTER_CUTOFF)
    assert list(later["count"]) == [3, 1] and set(later["respondents"]) == {4}
    early = tallies.code_tally(questionnaire=survey, as_of=ON_TIME)
    assert list(early["count"]) == [1, 1] and set(early["respondents"]) == {2}


def test_an_empty_codebook_or_no_replies_gives_an_empty_or_zero_tally(five):
    questionnaire = make_survey(states=five)
    assert tallies.code_tally(questionnaire=questionnaire).empty
    make_code(questionnaire, "useful")
    row = tallies.code_tally(questionnaire=questionnaire).iloc[0]
    assert (row["count"], row["respondents"], row["recipients"]) == (0, 0, 5)
    assert pd.isna(row["share_respondents"]) and row["share_recipients"] == 0


@pytest.fixture
def coded(survey, five, coders):
    fra, sen, mli, _fji, _chl = five
    ann = coders[0]
    useful = make_code(survey, "useful", order=1)
    sole = make_code(survey, "sole", order=2)
    for state in (fra, sen, mli):
        code_it(useful, state, ann, final=True)
    code_it(sole, sen, ann, final=True)
    code_it(sole, mli, ann, final=True)
    return survey


@pytest.mark.parametrize("by", ["region", "subregion"])
def test_by_region_and_subregion_the_groups_add_up_to_the_total(coded, by):
    total = tallies.code_tally(questionnaire=coded).set_index("key")
    table = tallies.code_tally(questionnaire=coded, by=by)
    assert list(table.columns) == ["key", "label", "group", "count", "respondents",
                                   "recipients", "share_respondents", "share_recipients"]
    sums = table.groupby("key")[["count", "respondents", "recipients"]].sum()
    for key in ("useful", "sole"):
        assert sums.loc[key, "count"] == total.loc[key, "count"]
        assert sums.loc[key, "respondents"] == 3
        assert sums.loc[key, "recipients"] == 5
    # Groups in order, with recipients but no respondent kept (base 0, share NaN).
    regions = table[table["key"] == "useful"]
    if by == "region":
        assert list(regions["group"]) == ["Africa", "Americas", "Europe", "Oceania"]
        oceania = regions.set_index("group").loc["Oceania"]
        assert (oceania["count"], oceania["respondents"], oceania["recipients"]) == (0, 0, 1)
        assert pd.isna(oceania["share_respondents"])
        africa = table[(table["key"] == "sole") & (table["group"] == "Africa")].iloc[0]
        assert (africa["count"], africa["respondents"], africa["share_respondents"]) == (2, 2, 1)


def test_by_group_a_state_is_in_each_of_its_groups_and_developed_or_developing(coded, five):
    table = tallies.code_tally(questionnaire=coded, by="group")
    useful = table[table["key"] == "useful"].set_index("group")
    assert list(useful.index) == ["LDC", "LLDC", "SIDS", "Developed", "Developing"]
    # Senegal and Mali are LDCs, Mali also landlocked; Fiji is a SIDS (no reply).
    assert useful.loc["LDC", ["count", "respondents", "recipients"]].tolist() == [2, 2, 2]
    assert useful.loc["LLDC", ["count", "respondents", "recipients"]].tolist() == [1, 1, 1]
    assert useful.loc["SIDS", ["count", "respondents", "recipients"]].tolist() == [0, 0, 1]
    assert useful.loc["Developed", ["count", "respondents", "recipients"]].tolist() == [1, 1, 1]
    assert useful.loc["Developing", ["count", "respondents", "recipients"]].tolist() == [2, 2, 4]
    # Developed and developing split the whole.
    both = useful.loc[["Developed", "Developing"]].sum()
    assert (both["count"], both["respondents"], both["recipients"]) == (3, 3, 5)


def test_an_unknown_grouping_is_refused(coded):
    with pytest.raises(ValueError, match="region"):
        tallies.code_tally(questionnaire=coded, by="continent")


def test_holders_name_the_states_behind_each_count(coded):
    assert tallies.holders(questionnaire=coded) == {
        "useful": [("FRA", "France"), ("MLI", "Mali"), ("SEN", "Senegal")],
        "sole": [("MLI", "Mali"), ("SEN", "Senegal")]}


# --- cross-tab and choice questions -------------------------------------------------------------


def test_crosstab_counts_states_holding_both_one_or_neither(coded):
    table = tallies.crosstab(questionnaire=coded, key_a="useful", key_b="sole")
    assert table.index.name == "useful" and table.columns.name == "sole"
    assert table.loc[True, True] == 2  # Senegal, Mali
    assert table.loc[True, False] == 1  # France
    assert table.loc[False, True] == 0 and table.loc[False, False] == 0
    assert table.to_numpy().sum() == 3  # every respondent once
    with pytest.raises(ValueError, match="nope"):
        tallies.crosstab(questionnaire=coded, key_a="useful", key_b="nope")


def test_crosstab_without_respondents_is_all_zeros(five):
    questionnaire = make_survey(states=five)
    make_code(questionnaire, "a")
    make_code(questionnaire, "b")
    table = tallies.crosstab(questionnaire=questionnaire, key_a="a", key_b="b")
    assert table.shape == (2, 2) and table.to_numpy().sum() == 0


def test_choice_tally_counts_states_per_choice(survey):
    yes_no = tallies.choice_tally(questionnaire=survey, question_code="yn").set_index("value")
    assert list(yes_no.index) == ["yes", "no", "no_opinion"]
    assert yes_no.loc["yes", "label"] == "Yes"
    assert yes_no["count"].tolist() == [2, 1, 0]  # Chile's late "yes" is not counted
    assert set(yes_no["answered"]) == {3} and set(yes_no["respondents"]) == {3}

    multiple = tallies.choice_tally(questionnaire=survey, question_code="many").set_index("value")
    assert multiple["count"].tolist() == [1, 2, 0]  # France a+b, Senegal b; Mali none
    assert set(multiple["answered"]) == {2}
    assert multiple.loc["b", "share_answered"] == 1.0
    assert multiple.loc["b", "share_respondents"] == pytest.approx(2 / 3)

    single = tallies.choice_tally(questionnaire=survey, question_code="one", as_of=AFTER_CUTOFF)
    assert single.set_index("value")["count"].tolist() == [2, 1, 1]


def test_choice_tally_by_group_and_values_no_longer_offered(survey, five):
    survey.questions.get(code="one").choices.filter(value="b").delete()
    table = tallies.choice_tally(questionnaire=survey, question_code="one", by="region")
    assert list(table.columns) == ["value", "label", "group", "count", "answered",
                                   "respondents", "recipients", "share_answered",
                                   "share_respondents"]
    africa = table[table["group"] == "Africa"].set_index("value")
    assert list(africa.index) == ["a", "c", "b"]  # the removed choice kept, last
    assert africa["count"].tolist() == [1, 0, 1] and set(africa["answered"]) == {2}
    with pytest.raises(ValueError, match="not a choice question"):
        tallies.choice_tally(questionnaire=survey, question_code="q1")


# --- a fixed number of queries ------------------------------------------------------------------


def _build(registry, coders, n, code="Q"):
    states = sorted(registry.values(), key=lambda s: s.iso3)[:n]
    questionnaire = make_survey(code, states=states)
    codes = [make_code(questionnaire, key, order=i) for i, key in enumerate(["a", "b", "c"])]
    for i, state in enumerate(states):
        reply(questionnaire, state, on=ON_TIME if i % 2 else LATE, yn="yes", many=["a", "c"])
        for code in codes[: 1 + i % 3]:
            code_it(code, state, coders[0], final=True)
            code_it(code, state, coders[0])
        if i % 4:  # the second coder differs on some, and has not reached every fourth State
            for code in codes[: 1 + (i + 1) % 3]:
                code_it(code, state, coders[1])
    return questionnaire


def _queries(function) -> int:
    with CaptureQueriesContext(connection) as context:
        function()
    return len(context.captured_queries)


def bounded_calls():
    from analysis import agreement, phrasing
    return {
        "respondents": lambda q: tallies.respondents(questionnaire=q),
        "code_tally": lambda q: tallies.code_tally(questionnaire=q),
        "code_tally by group": lambda q: tallies.code_tally(questionnaire=q, by="group"),
        "participation": lambda q: tallies.participation(questionnaire=q),
        "crosstab": lambda q: tallies.crosstab(questionnaire=q, key_a="a", key_b="b"),
        "choice_tally": lambda q: tallies.choice_tally(questionnaire=q, question_code="many",
                                                       by="region"),
        "holders": lambda q: tallies.holders(questionnaire=q),
        "view_sentences": lambda q: phrasing.view_sentences(questionnaire=q),
        "participation_sentence": lambda q: phrasing.participation_sentence(questionnaire=q),
        "agreement": lambda q: agreement.agreement(questionnaire=q),
        "disagreements": lambda q: agreement.disagreements(questionnaire=q),
    }


def test_the_same_number_of_queries_for_5_and_50_states(registry, coders):
    small, large = _build(registry, coders, 5, "S"), _build(registry, coders, 50, "L")
    assert len(tallies.respondents(questionnaire=large)) == 50
    counts = {}
    for name, call in bounded_calls().items():
        counts[name] = (_queries(lambda call=call: call(small)),
                        _queries(lambda call=call: call(large)))
    assert all(a == b for a, b in counts.values()), counts
    # Measured: 1 query for the respondents, 3 for a tally, 4 for a choice tally, 5 for the
    # agreement (with the replies each coder saved), 7 for the disagreements (5, then the
    # answers and the final codings).
    assert counts["respondents"][0] == 1
    assert counts["code_tally"][0] == 3
    assert counts["choice_tally"][0] == 4
    assert counts["agreement"][0] == 5
    assert counts["disagreements"][0] == 7
    assert max(a for a, _b in counts.values()) <= 8


def test_states_not_asked_never_enter_the_base(survey, registry):
    assert State.objects.count() == 195
    assert tallies.participation(questionnaire=survey).recipients == 5


# --- manage.py tally ----------------------------------------------------------------------------


def _tally(*args) -> str:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("tally", *args, stdout=out)
    return out.getvalue()


def test_tally_command_table(coded):
    out = _tally("T-2008")
    lines = out.splitlines()
    assert lines[1] == ("3 respondents of 5 recipients by 15 July 2008 (2 by the deadline of "
                        "30 April 2008, 1 after it).")
    assert lines[2] == "By 15 July 2008, three Member States had replied to the questionnaire."
    assert "Phrase" in lines[4]
    useful = next(line for line in lines if line.startswith("useful"))
    assert "View useful" in useful and "100.0 %" in useful
    assert useful.endswith("all respondents (3 of 3)")
    sole = next(line for line in lines if line.startswith("sole"))
    assert sole.endswith("two of the three respondents (2 of 3)")


def test_tally_command_by_group_and_as_of(coded):
    out = _tally("T-2008", "--by", "group", "--as-of", "2008-04-30")
    assert "2 respondents of 5 recipients by 30 April 2008" in out
    assert "By group:" in out
    ldc = [line for line in out.splitlines() if "LDC " in line and line.startswith("useful")]
    assert ldc and ldc[0].endswith("both respondents (2 of 2)")


def test_tally_command_json(coded):
    import json

    data = json.loads(_tally("T-2008", "--format", "json", "--by", "region"))
    assert {k: data[k] for k in ("questionnaire", "as_of", "recipients", "respondents")} == {
        "questionnaire": "T-2008", "as_of": "2008-07-15", "recipients": 5, "respondents": 3}
    assert data["codes"][0] == {"key": "useful", "label": "View useful", "count": 3, "base": 3,
                                "recipients": 5, "share": 1.0,
                                "phrase": "all respondents (3 of 3)"}
    assert data["by"] == "region"
    oceania = next(g for g in data["groups"] if g["group"] == "Oceania" and g["key"] == "sole")
    assert (oceania["count"], oceania["base"], oceania["share"]) == (0, 0, None)
    assert oceania["phrase"] == "no respondents yet (0 of 0)"


def test_tally_command_csv_is_spreadsheet_safe(coded):
    import csv
    from io import StringIO

    Code.objects.filter(key="sole").update(label="=HYPERLINK(\"http://evil\")")
    rows = list(csv.reader(StringIO(_tally("T-2008", "--format", "csv"))))
    assert rows[0] == ["key", "label", "count", "base", "recipients", "share", "phrase"]
    assert rows[1] == ["useful", "View useful", "3", "3", "5", "1.0", "all respondents (3 of 3)"]
    assert rows[2][1].startswith("'=")
    by = list(csv.reader(StringIO(_tally("T-2008", "--format", "csv", "--by", "subregion"))))
    assert by[0][2] == "group" and len(by) == 1 + 2 * 4  # two codes × four sub-regions


def test_tally_command_refuses_unknown_questionnaire_and_bad_dates(coded):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No questionnaire “NOPE”. Known: T-2008"):
        _tally("NOPE")
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        _tally("T-2008", "--as-of", "15/07/2008")


def test_tally_of_the_2008_demo_reproduces_paragraph_22(registry):
    """The demo's reconciled coding gives the report's figures (A/63/269, para. 22)."""
    import json

    from analysis.demo import coding_2008_load
    from surveys.demo.load import contacts_load, demo_2008_load

    contacts_load()
    questionnaire = demo_2008_load()["questionnaire"]
    coding_2008_load(questionnaire)

    table = _tally("HLD-2008")
    assert "64 respondents of 195 recipients by 15 July 2008" in table
    assert "By 15 July 2008, 64 Member States had replied to the questionnaire." in table

    data = json.loads(_tally("HLD-2008", "--format", "json"))
    assert (data["recipients"], data["respondents"]) == (195, 64)
    codes = {c["key"]: c for c in data["codes"]}
    assert (codes["useful"]["count"], codes["useful"]["base"]) == (61, 64)
    assert codes["useful"]["phrase"] == "virtually all respondents (61 of 64)"
    assert codes["no_opinion"]["phrase"] == "only three respondents (3 of 64)"
    assert codes["sole_followup"]["phrase"] == "one in every six respondents (11 of 64)"
    assert "one in every six respondents (11 of 64)" in table

    from analysis import phrasing

    sentences = {s.key: s.text for s in phrasing.view_sentences(questionnaire=questionnaire)}
    assert sentences["useful"] == ("Virtually all respondents (61 of 64) consider that the "
                                   "Forum is a useful outcome.")
    assert sentences["sole_followup"] == ("One in every six respondents (11 of 64) consider "
                                          "that the Forum should be the sole follow-up.")
