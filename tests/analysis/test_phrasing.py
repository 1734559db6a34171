"""Report language: the legend on its edges, always with the exact figures, and the
draft sentences for participation and for each view."""

import datetime

import pytest

from analysis import phrasing
from analysis.phrasing import quantity_phrase
from surveys.models import State

from . import test_tallies
from .test_tallies import LATE, ON_TIME, code_it, make_code, make_survey, reply

coders, five = test_tallies.coders, test_tallies.five  # fixtures


@pytest.mark.parametrize(("count", "base", "text"), [
    # The report's own figures.
    (61, 64, "virtually all respondents (61 of 64)"),
    (3, 64, "only three respondents (3 of 64)"),
    (11, 64, "one in every six respondents (11 of 64)"),
    # Edges: nothing, one, all, a base of one, no base at all.
    (0, 64, "none of the respondents (0 of 64)"),
    (1, 64, "only one respondent (1 of 64)"),
    (64, 64, "all respondents (64 of 64)"),
    (1, 1, "the only respondent (1 of 1)"),
    (0, 1, "none of the respondents (0 of 1)"),
    (0, 0, "no respondents yet (0 of 0)"),
    (2, 2, "both respondents (2 of 2)"),
    # Between two phrases.
    (20, 64, "many respondents (20 of 64)"),  # 31 %: not close enough to a third
    (21, 64, "one in every three respondents (21 of 64)"),  # 32.8 %: within 5 % of 1/3
    (31, 64, "nearly half of the respondents (31 of 64)"),
    (32, 64, "half of the respondents (32 of 64)"),
    (33, 64, "a majority of respondents (33 of 64)"),
    (42, 64, "a majority of respondents (42 of 64)"),  # 65.6 %: under two thirds
    (43, 64, "most respondents (43 of 64)"),  # 67.2 %
    (45, 64, "most respondents (45 of 64)"),
    (57, 64, "most respondents (57 of 64)"),  # 89.1 %
    (58, 64, "virtually all respondents (58 of 64)"),  # 90.6 %
    (63, 64, "virtually all respondents (63 of 64)"),
    (18, 64, "some respondents (18 of 64)"),
    (12, 64, "several respondents (12 of 64)"),
    (6, 64, "a few respondents (6 of 64)"),  # more than five: no longer "only"
    (5, 64, "only five respondents (5 of 64)"),
    (16, 64, "one in every four respondents (16 of 64)"),
    (10, 64, "several respondents (10 of 64)"),  # 15.6 %: 6.3 % under 1/6, too far
    # Small bases: exact words rather than vague ones.
    (2, 3, "two of the three respondents (2 of 3)"),
    (1, 3, "one of the three respondents (1 of 3)"),
    (3, 3, "all respondents (3 of 3)"),
    (1, 10, "only one respondent (1 of 10)"),
    (2, 10, "one in every five respondents (2 of 10)"),
    # Two or three States: exact words, not "several".
    (2, 11, "two of the 11 respondents (2 of 11)"),
    (3, 20, "three of the 20 respondents (3 of 20)"),  # 15 %: exactly 5 % off 1/7
    (3, 15, "one in every five respondents (3 of 15)"),
])
def test_legend(count, base, text):
    phrase = quantity_phrase(count, base)
    assert phrase.text == text
    assert (phrase.count, phrase.base) == (count, base)
    assert phrase.text.endswith(f"({count} of {base})")  # always the exact figures
    assert str(phrase) == text


def test_one_in_every_six_is_within_the_tolerance_and_its_neighbours_are_not():
    phrase = quantity_phrase(11, 64)
    assert phrase.words == "one in every six" and phrase.rule == "fraction"
    assert abs(11 / 64 * 6 - 1) < phrasing.FRACTION_TOLERANCE  # 3.1 %
    # 9 of 64 (14.1 %) is 1/7 within 1.6 %; 14 of 64 (21.9 %) is no fraction: "some".
    assert quantity_phrase(9, 64).words == "one in every seven"
    assert quantity_phrase(14, 64).words == "some"


def test_every_example_of_the_documented_legend_follows_its_rule():
    for rule, _when, (count, base) in phrasing.LEGEND:
        assert phrasing.legend_rule(count, base)[0].removesuffix("_one") == rule, rule


def test_the_fraction_bands_do_not_overlap():
    bands = sorted((1 / n * (1 - float(phrasing.FRACTION_TOLERANCE)),
                    1 / n * (1 + float(phrasing.FRACTION_TOLERANCE)))
                   for n in phrasing.FRACTION_DENOMINATORS)
    assert all(high < low for (_l, high), (low, _h) in zip(bands, bands[1:], strict=False))


def test_singular_verbs_and_other_nouns():
    assert quantity_phrase(1, 64).singular and quantity_phrase(1, 1).singular
    assert not quantity_phrase(11, 64).singular
    assert quantity_phrase(1, 40, noun="Member States").text == \
        "only one Member State (1 of 40)"
    assert quantity_phrase(3, 40, noun="countries").text == "only three countries (3 of 40)"
    assert quantity_phrase(1, 1, noun="countries").text == "the only country (1 of 1)"


def test_impossible_counts_are_refused():
    for count, base in ((65, 64), (-1, 64), (0, -1)):
        with pytest.raises(ValueError):
            quantity_phrase(count, base)


def test_numbers_and_dates_in_un_style():
    assert phrasing.number_words(3) == "three" and phrasing.number_words(10) == "ten"
    assert phrasing.number_words(11) == "11"
    assert phrasing.un_date(datetime.date(2008, 7, 15)) == "15 July 2008"
    assert phrasing.un_date(datetime.date(2008, 3, 1)) == "1 March 2008"


# --- sentences ----------------------------------------------------------------------------------


def test_participation_sentence(five):
    questionnaire = make_survey(states=five)
    assert phrasing.participation_sentence(questionnaire=questionnaire) == \
        "By 15 July 2008, no State had replied to the questionnaire."
    reply(questionnaire, five[0], on=ON_TIME)
    assert phrasing.participation_sentence(questionnaire=questionnaire) == \
        "By 15 July 2008, one Member State had replied to the questionnaire."
    for state in five[1:]:
        reply(questionnaire, state, on=LATE)
    assert phrasing.participation_sentence(questionnaire=questionnaire) == \
        "By 15 July 2008, five Member States had replied to the questionnaire."
    assert phrasing.participation_sentence(questionnaire=questionnaire,
                                           as_of=datetime.date(2008, 5, 1)) == \
        "By 1 May 2008, one Member State had replied to the questionnaire."


def test_participation_sentence_says_states_when_an_observer_replied(registry, five):
    observer = State.objects.observers().first()
    questionnaire = make_survey(states=[*five, observer])
    for state in [*five, observer]:
        reply(questionnaire, state)
    assert phrasing.participation_sentence(questionnaire=questionnaire) == \
        "By 15 July 2008, six States had replied to the questionnaire."


def test_view_sentences_draft_one_sentence_per_code_with_its_states(five, coders):
    questionnaire = make_survey(states=five)
    for state in five:
        reply(questionnaire, state)
    useful = make_code(questionnaire, "useful", order=1)
    useful.label = "The Forum is a useful outcome"
    useful.save()
    link = make_code(questionnaire, "link", order=2)
    link.label = "Strengthen the link between the Forum and the UN"
    link.save()
    make_code(questionnaire, "none", order=3)
    for state in five:
        code_it(useful, state, coders[0], final=True)
    code_it(link, five[1], coders[0], final=True)

    first, second, third = phrasing.view_sentences(questionnaire=questionnaire)
    assert first.text == ("All respondents (5 of 5) consider that the Forum is a useful "
                          "outcome.")
    assert first.phrase.words == "all" and first.key == "useful"
    assert first.iso3 == ["CHL", "FJI", "FRA", "MLI", "SEN"]
    assert first.states[0] == "Chile"
    assert second.text == ("One of the five respondents (1 of 5) holds the view “Strengthen "
                           "the link between the Forum and the UN”.")
    assert second.states == ["Senegal"]
    assert third.text == "None of the respondents (0 of 5) hold the view “View none”."
    assert third.states == []


def test_view_sentences_before_any_reply(five):
    questionnaire = make_survey(states=five)
    make_code(questionnaire, "useful")
    (sentence,) = phrasing.view_sentences(questionnaire=questionnaire)
    assert sentence.text == ("By 15 July 2008, no reply had been received: “View useful” "
                             "cannot be counted yet.")
    assert sentence.phrase.text == "no respondents yet (0 of 0)"


def test_labels_keep_their_acronyms_in_a_sentence():
    phrase = quantity_phrase(20, 64)
    assert phrasing.view_sentence_text("UN agencies should do more", phrase,
                                       as_of=datetime.date(2008, 7, 15)) == \
        "Many respondents (20 of 64) consider that UN agencies should do more."
