"""Agreement between coders: the unit is one replying State × one code, applied or not.

The expected statistics are computed here by the same libraries on arrays written by
hand, so the test checks that the matrix is built right (States, not passages; only
States every coder has coded) and that the library is called right.
"""

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from analysis.admin.coding import _replies
from analysis.agreement import agreement, coding_matrix, disagreements
from analysis.services.coding import response_coding_save
from surveys.models import Response

from . import test_tallies
from .test_tallies import AFTER_CUTOFF, code_it, make_code, make_survey, reply

coders = test_tallies.coders  # fixture

SIX = ("ARG", "BRA", "CAN", "DNK", "EGY", "FIN")  # in name order, as the matrix sorts them

# Applied (1) or not (0) to the six States, by code and coder.
ANN = {"w": [1, 1, 1, 1, 1, 1], "x": [1, 1, 1, 0, 0, 0], "y": [1, 0, 0, 0, 0, 0],
       "z": [0, 0, 0, 0, 0, 0]}
BEN = {"w": [1, 1, 1, 1, 1, 1], "x": [1, 1, 0, 0, 0, 1], "y": [1, 0, 0, 0, 0, 0],
       "z": [0, 0, 0, 0, 0, 0]}
CAI = {"w": [1, 1, 1, 1, 1, 1], "x": [1, 1, 1, 0, 0, 1], "y": [1, 0, 0, 0, 0, 0],
       "z": [0, 0, 0, 0, 0, 0]}


@pytest.fixture
def six(registry):
    return [registry[iso3] for iso3 in SIX]


@pytest.fixture
def coded(six, coders, registry):
    """Six States coded by hand as ANN, BEN and CAI say; a seventh State (Ghana) that
    only Ann coded, and an eighth (Haiti) whose reply came after the cut-off."""
    ghana, haiti = registry["GHA"], registry["HTI"]
    questionnaire = make_survey(states=[*six, ghana, haiti])
    for state in six + [ghana]:
        reply(questionnaire, state)
    reply(questionnaire, haiti, on=AFTER_CUTOFF)
    codes = {key: make_code(questionnaire, key, order=i, question="q1" if key == "x" else None)
             for i, key in enumerate("wxyz")}
    for coder, table in zip(coders, (ANN, BEN, CAI), strict=True):
        for key, applied in table.items():
            for state, on in zip(six, applied, strict=True):
                if on:
                    # Ben saw view x for Finland in another answer: still one State.
                    where = "q2" if (coder.username, key, state.iso3) == ("ben", "x", "FIN") \
                        else "q1"
                    code_it(codes[key], state, coder, question=where,
                            excerpt=f"{coder.username} marked {key}")
    # Ann also applied x to Argentina's second answer: a second passage, the same unit.
    code_it(codes["x"], six[0], coders[0], question="q2")
    code_it(codes["w"], ghana, coders[0])
    for coder in coders:
        code_it(codes["w"], haiti, coder)
        code_it(codes["x"], haiti, coder)
    return questionnaire, codes


def _kappa(a, b):
    return cohen_kappa_score(a, b)


def _alpha(*rows):
    return krippendorff.alpha(reliability_data=np.array(rows), level_of_measurement="nominal")


def _pooled(table):
    return [v for key in "wxyz" for v in table[key]]


def test_two_coders_kappa_and_alpha_match_the_libraries_on_the_hand_made_arrays(coded, coders):
    questionnaire, codes = coded
    ann, ben, _cai = coders
    report = agreement(questionnaire=questionnaire, coders=[ann, ben])
    assert [c.username for c in report.coders] == ["ann", "ben"]
    assert (report.states, report.respondents, report.states_left_out) == (6, 7, 1)
    w, x, y, z = report.codes
    assert x.code == codes["x"] and x.units == 6 and x.agreed == 4
    assert x.percent_agreement == pytest.approx(100 * 4 / 6)
    assert x.kappa == pytest.approx(_kappa(ANN["x"], BEN["x"]))
    assert x.alpha == pytest.approx(_alpha(ANN["x"], BEN["x"]))
    assert x.kappa == pytest.approx(1 / 3)  # (4/6 - 1/2) / (1 - 1/2)
    assert x.applied == {ann.pk: 3, ben.pk: 3}  # States, not passages
    # Perfect agreement.
    assert (y.kappa, y.alpha, y.percent_agreement) == (1.0, 1.0, 100.0)
    # Degenerate: applied to every State, or to none: undefined, with the reason.
    for same in (w, z):
        assert same.kappa is None and same.alpha is None
        assert "every State, or to none" in same.alpha_note
        assert same.percent_agreement == 100.0
    # Overall: every (State, code) unit pooled.
    overall = report.overall
    assert overall.units == 24 and overall.agreed == 22
    assert overall.kappa == pytest.approx(_kappa(_pooled(ANN), _pooled(BEN)))
    assert overall.alpha == pytest.approx(_alpha(_pooled(ANN), _pooled(BEN)))


def test_three_coders_give_alpha_only(coded, coders):
    questionnaire, _codes = coded
    report = agreement(questionnaire=questionnaire)  # everyone who coded
    assert [c.username for c in report.coders] == ["ann", "ben", "cai"]
    x = report.codes[1]
    assert x.kappa is None and "exactly two" in x.kappa_note
    assert x.alpha == pytest.approx(_alpha(ANN["x"], BEN["x"], CAI["x"]))
    assert x.agreed == 4  # Canada and Finland split the three coders
    assert report.overall.alpha == pytest.approx(_alpha(_pooled(ANN), _pooled(BEN),
                                                        _pooled(CAI)))


def test_as_of_a_later_date_adds_the_late_reply(coded, coders):
    questionnaire, _codes = coded
    report = agreement(questionnaire=questionnaire, coders=coders[:2], as_of=AFTER_CUTOFF)
    assert (report.states, report.respondents) == (7, 8)


def test_one_coder_or_none_cannot_agree(coded, coders):
    questionnaire, _codes = coded
    report = agreement(questionnaire=questionnaire, coders=coders[:1])
    assert report.overall.kappa is None and "two coders" in report.overall.alpha_note
    assert disagreements(questionnaire=questionnaire, coders=coders[:1]) == []
    empty = make_survey("EMPTY")
    make_code(empty, "a")
    report = agreement(questionnaire=empty)
    assert report.coders == [] and report.codes[0].units == 0
    assert report.codes[0].percent_agreement is None


def test_no_state_coded_by_every_coder(coded, coders, django_user_model):
    questionnaire, _codes = coded
    newcomer = django_user_model.objects.create_user("dee")
    report = agreement(questionnaire=questionnaire, coders=[coders[0], newcomer])
    assert report.states == 0
    assert "No State has been coded by every coder" in report.overall.alpha_note


def test_the_matrix_is_states_by_codes_by_coders(coded, coders):
    questionnaire, codes = coded
    matrix = coding_matrix(questionnaire=questionnaire, coders=coders[:2])
    assert matrix.frame.shape == (24, 2)
    assert set(matrix.frame.to_numpy().ravel()) == {0, 1}


def test_disagreements_list_the_state_code_coders_and_answers(coded, coders):
    questionnaire, codes = coded
    ann, ben, _cai = coders
    found = disagreements(questionnaire=questionnaire, coders=[ann, ben])
    assert [(d.state.iso3, d.code.key) for d in found] == [("CAN", "x"), ("FIN", "x")]
    canada, finland = found
    assert canada.applied_by == [ann] and canada.not_applied_by == [ben]
    assert finland.applied_by == [ben] and finland.not_applied_by == [ann]
    # The answer to the code's question, and the one Ben coded for Finland.
    assert [a.question.code for a in canada.answers] == ["q1"]
    assert [a.question.code for a in finland.answers] == ["q1", "q2"]
    assert finland.answers[1].text == "Finland answers q2."
    assert finland.excerpts == [(ben, "ben marked x")]
    assert not canada.in_final

    code_it(codes["x"], six_state(found, "CAN"), ann, final=True)
    again = disagreements(questionnaire=questionnaire, coders=[ann, ben])
    assert [d.in_final for d in again] == [True, False]


def six_state(found, iso3):
    return next(d.state for d in found if d.state.iso3 == iso3)


def test_three_coders_disagree_where_any_differs(coded):
    questionnaire, _codes = coded
    found = disagreements(questionnaire=questionnaire)
    assert [(d.state.iso3, d.code.key) for d in found] == [("CAN", "x"), ("FIN", "x")]
    assert [c.username for c in found[1].applied_by] == ["ben", "cai"]


def test_a_reply_saved_without_codes_is_coded_and_counts_as_a_unit(coded, coders, registry):
    """Ben reads Ghana's reply and finds no view in it: Ghana is no longer left out, and
    Ann's view w there is a disagreement (before, agreement looked better than it was)."""
    questionnaire, codes = coded
    ann, ben, _cai = coders
    ghana = Response.objects.get(recipient__questionnaire=questionnaire,
                                 recipient__state=registry["GHA"])
    assert not _replies(questionnaire, ben).get(pk=ghana.pk).mine
    before = agreement(questionnaire=questionnaire, coders=[ann, ben])
    assert (before.states, before.states_left_out) == (6, 1)

    response_coding_save(response=ghana, coder=ben,
                         codes_by_answer={answer: [] for answer in ghana.answers.all()})

    assert _replies(questionnaire, ben).get(pk=ghana.pk).mine  # "next uncoded" skips it
    report = agreement(questionnaire=questionnaire, coders=[ann, ben])
    assert (report.states, report.respondents, report.states_left_out) == (7, 7, 0)
    w = report.codes[0]
    assert w.code == codes["w"] and (w.units, w.agreed) == (7, 6)
    assert w.applied == {ann.pk: 7, ben.pk: 6}
    found = disagreements(questionnaire=questionnaire, coders=[ann, ben])
    assert ("GHA", "w") in {(row.state.iso3, row.code.key) for row in found}
