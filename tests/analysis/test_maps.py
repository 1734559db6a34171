"""The replies map: every State drawn (shape or dot), grey once its reply has arrived.

The helpers at the top build small questionnaires with dated replies and codings;
the chart and report tests use them too.
"""

from __future__ import annotations

import datetime
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

from analysis import charts, maps, report
from analysis.models import Code, Coding
from surveys.models import Answer, Dispatch, Question
from surveys.services.recipients import recipients_add
from surveys.services.responses import response_save
from tests.surveys.test_dispatch import make_questionnaire

SVG = "{http://www.w3.org/2000/svg}"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
D = datetime.date

# --- helpers shared by the report tests ---------------------------------------------------


SENT_ON, DEADLINE, CUTOFF = D(2008, 3, 18), D(2008, 4, 30), D(2008, 7, 15)


def make_case(registry, *, code="REP-2008", states=("FRA", "SEN", "CHN", "TUV", "BRA"),
              replies=None, drafts=(), sent_on=SENT_ON, deadline=DEADLINE, cutoff=CUTOFF):
    """A questionnaire with two text questions, sent to ``states``; ``replies`` maps an
    ISO3 code to (date received, {question code: answer}), ``drafts`` lists States that
    saved a draft only."""
    questionnaire = make_questionnaire(code, deadline=deadline)
    questionnaire.sent_on, questionnaire.cutoff = sent_on, cutoff
    questionnaire.save()
    for order, code_ in enumerate(("forum", "followup"), start=1):
        Question.objects.create(questionnaire=questionnaire, order=order, code=code_,
                                text={"en": f"What do you think of the {code_}?"})
    recipients_add(questionnaire=questionnaire, states=[registry[s] for s in states])
    recipients = {r.state.iso3: r for r in questionnaire.recipients.select_related("state")}
    for iso3, (day, answers) in (replies or {}).items():
        response_save(recipient=recipients[iso3], data=answers, language="en", submit=True,
                      channel="email", received_on=day)
    for iso3 in drafts:
        response_save(recipient=recipients[iso3], data={"forum": "Draft"}, language="en",
                      submit=False)
    return questionnaire


def make_codes(questionnaire, keys=(("useful", "The Forum is useful"),
                                    ("sole", "The Forum should be the sole follow-up"))):
    return {key: Code.objects.create(questionnaire=questionnaire, key=key, label=label,
                                     order=order)
            for order, (key, label) in enumerate(keys, start=1)}


def code_answers(questionnaire, codes, holdings, *, final=True, coder=None, excerpt=""):
    """``holdings``: {ISO3: [code keys]}; each applied to the State's "forum" answer."""
    coder = coder or get_user_model().objects.get_or_create(username="analyst")[0]
    answers = {a.response.recipient.state.iso3: a for a in Answer.objects.filter(
        response__recipient__questionnaire=questionnaire, question__code="forum")
        .select_related("response__recipient__state")}
    for iso3, keys in holdings.items():
        for key in keys:
            Coding.objects.create(answer=answers[iso3], code=codes[key], coder=coder,
                                  final=final, excerpt=excerpt)


def add_reminder(questionnaire, day):
    return Dispatch.objects.create(
        questionnaire=questionnaire, kind=Dispatch.Kind.REMINDER, channels=["email"],
        sent_on=datetime.datetime(day.year, day.month, day.day, 9, tzinfo=datetime.UTC))


def svg_fills(svg: bytes) -> dict[str, str]:
    """The fill colour of every element with an id, from its first styled descendant."""
    fills = {}
    for element in ET.fromstring(svg).iter():  # noqa: S314 - our own output
        gid = element.get("id")
        if not gid:
            continue
        for child in element.iter():
            style = child.get("style") or ""
            for rule in style.split(";"):
                name, _, value = rule.partition(":")
                if name.strip() == "fill":
                    fills[gid] = value.strip()
                    break
            if gid in fills:
                break
    return fills


def replies_2008(**extra):
    answers = {"forum": "A useful outcome.", "followup": "Keep the item on the agenda."}
    replies = {"FRA": (D(2008, 4, 10), answers), "SEN": (D(2008, 6, 20), answers),
               "TUV": (D(2008, 6, 30), answers), "BRA": (D(2008, 7, 10), answers)}
    replies.update(extra)
    return replies


# --- the geometry -------------------------------------------------------------------------


def test_fixture_draws_every_state_and_tuvalu_as_a_dot(registry):
    geometry = maps.world_map()
    states = {s.m49: s for s in registry.values()}
    assert set(geometry.states) == set(states)
    assert len(geometry.states) == 195
    for m49, shape in geometry.states.items():
        assert shape.path is not None or shape.draws_dot, states[m49].name_en
        if states[m49].is_sids:
            assert shape.dot is not None, f"{states[m49].name_en} is a SIDS without a dot"

    tuvalu = geometry.states[798]
    assert tuvalu.path is None and tuvalu.draws_dot
    x, y = tuvalu.dot
    assert x > 2.5 and -0.2 < y < 0  # the far east of the map, just south of the equator
    # Tiny States show as dots too; large island States keep their shape only.
    assert geometry.states[336].draws_dot and geometry.states[492].draws_dot  # Holy See, Monaco
    assert not geometry.states[598].draws_dot  # Papua New Guinea
    assert geometry.states[250].path is not None and not geometry.states[250].draws_dot


def test_fixture_is_small_and_the_atlas_is_not_read_at_run_time():
    size = maps.MAP_FIXTURE.stat().st_size
    assert size < 1.5 * 1024 * 1024
    data = json.loads(maps.MAP_FIXTURE.read_text(encoding="utf-8"))
    assert data["projection"].startswith("Equal Earth")
    names = {t["name"] for t in data["territories"]}
    assert "Greenland" in names and "W. Sahara" in names
    assert "Antarctica" not in names
    # Pieces the UN counts in a Member State are drawn as part of it.
    assert not names & {"Taiwan", "Somaliland", "Kosovo", "N. Cyprus"}
    assert Path(settings.BASE_DIR) / "fixtures" / "world-map.json" == maps.MAP_FIXTURE
    for module in (maps, charts, report):
        assert "shared/data" not in Path(module.__file__).read_text(encoding="utf-8")


# --- who is shaded -------------------------------------------------------------------------


def test_map_states_follow_the_replies_as_they_arrive(registry):
    questionnaire = make_case(registry, replies=replies_2008(), drafts=["CHN"])

    assert maps.map_states(questionnaire=questionnaire, as_of=D(2008, 4, 30)) == {250}
    assert maps.map_states(questionnaire=questionnaire, as_of=D(2008, 6, 30)) == {250, 686, 798}
    # Without a date: the report cut-off. A draft never counts.
    assert maps.map_states(questionnaire=questionnaire) == {250, 686, 798, 76}
    groups = maps.map_groups(questionnaire=questionnaire, as_of=D(2008, 6, 30))
    assert groups.no_reply == {156, 76}


# --- drawing ---------------------------------------------------------------------------------


def test_map_svg_shades_repliers_grey_and_others_white(registry):
    questionnaire = make_case(registry, replies=replies_2008())

    svg = maps.replies_map(questionnaire=questionnaire, as_of=D(2008, 6, 30), fmt="svg")

    ET.fromstring(svg)  # noqa: S314 - our own output; it is well-formed
    text = svg.decode()
    assert "do not imply official endorsement or acceptance by the United Nations" in text
    assert "Replies received by 30 June 2008 (3)" in text
    assert "No reply (2)" in text
    fills = svg_fills(svg)
    assert fills["m49-250"] == maps.REPLIED  # France replied on 10 April
    assert fills["m49-686"] == maps.REPLIED  # Senegal on 20 June
    assert fills["m49-76"] == maps.NO_REPLY  # Brazil not until 10 July
    assert fills["m49-156"] == maps.NO_REPLY  # China never
    assert fills["m49-798-dot"] == maps.REPLIED  # Tuvalu, a dot only
    assert fills["m49-4"] == maps.NOT_ASKED  # Afghanistan was not asked
    assert "m49-598-dot" not in fills and "m49-336-dot" in fills
    # The same data give the same bytes.
    assert maps.replies_map(questionnaire=questionnaire, as_of=D(2008, 6, 30)) == svg


def test_map_png(registry):
    questionnaire = make_case(registry, replies=replies_2008())

    png = maps.replies_map(questionnaire=questionnaire, as_of=D(2008, 6, 30), fmt="png")

    assert png.startswith(PNG_SIGNATURE)
    assert 20_000 < len(png) < 400_000


def test_unknown_format_is_refused(registry):
    questionnaire = make_case(registry)
    with pytest.raises(ValueError, match="svg"):
        maps.replies_map(questionnaire=questionnaire, as_of=D(2008, 6, 30), fmt="pdf")
