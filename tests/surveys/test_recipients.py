"""Recipients: which States receive a questionnaire, their links, addressees and copies.

Adding recipients is idempotent and bulk (a fixed number of queries for 195 States),
chooses the Permanent Representative (else the mission) as addressee and the focal
points as copies; links can be regenerated; a State can decline; replies are dated.
"""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from surveys.models import Contact, Recipient, Response, State
from surveys.services.recipients import (
    STATE_GROUPS,
    recipient_decline,
    recipient_has_replied,
    recipient_regenerate_link,
    recipients_add,
)
from surveys.services.tokens import recipient_from_token, recipient_link
from tests.surveys.test_dispatch import make_contacts, make_questionnaire

# Adding 195 States with three contacts each, measured at 9 queries on SQLite and 7
# on PostgreSQL, whatever the number of States (bulk inserts aside).
ADD_QUERY_CEILING = 12


@pytest.fixture
def questionnaire(db):
    return make_questionnaire()


def token_of(recipient) -> str:
    return recipient_link(recipient).rstrip("/").rsplit("/", 1)[1]


def test_all_195_states_by_default_and_again_adds_nothing(registry, questionnaire):
    first = recipients_add(questionnaire=questionnaire)

    assert (first.created, first.already) == (195, 0)
    assert questionnaire.recipients.count() == 195
    assert questionnaire.recipients.filter(state__status=State.Status.OBSERVER).count() == 2
    hashes = set(questionnaire.recipients.values_list("token_hash", flat=True))
    assert len(hashes) == 195 and "" not in hashes

    again = recipients_add(questionnaire=questionnaire)
    assert (again.created, again.already) == (0, 195)
    assert Recipient.objects.count() == 195
    assert set(questionnaire.recipients.values_list("token_hash", flat=True)) == hashes


def test_each_link_opens_its_own_recipient(registry, questionnaire):
    recipients_add(questionnaire=questionnaire, region="Oceania")
    for recipient in questionnaire.recipients.select_related("state"):
        assert recipient_from_token(token_of(recipient)) == recipient


def test_a_region_or_a_group(registry, questionnaire):
    assert recipients_add(questionnaire=questionnaire, region="Oceania").created == 14
    sids = State.objects.filter(STATE_GROUPS["sids"][1])
    outcome = recipients_add(questionnaire=questionnaire, group="sids")
    assert outcome.created + outcome.already == sids.count()
    assert set(questionnaire.recipients.values_list("state__region", flat=True)) >= {"Oceania"}
    with pytest.raises(ValueError):
        recipients_add(questionnaire=questionnaire, group="g77")


def test_addressee_is_the_representative_else_the_mission_and_copies_the_focal_points(
        registry, questionnaire):
    fra = make_contacts(registry["FRA"])
    sen = make_contacts(registry["SEN"], pr=False)
    chn = make_contacts(registry["CHN"])
    chn["pr"].is_active = False  # left the post
    chn["pr"].save()
    Contact.objects.create(state=registry["FRA"], role=Contact.Role.FOCAL_POINT,
                           name="Former focal point", is_active=False)

    outcome = recipients_add(questionnaire=questionnaire,
                             states=[registry["FRA"], registry["SEN"], registry["CHN"],
                                     registry["TCD"]])

    by_state = {r.state.iso3: r for r in questionnaire.recipients.select_related("state")}
    assert by_state["FRA"].addressee == fra["pr"]
    assert by_state["SEN"].addressee == sen["mission"]
    assert by_state["CHN"].addressee == chn["mission"]
    assert by_state["TCD"].addressee is None
    assert list(by_state["FRA"].copies.all()) == [fra["focal_point"]]
    assert [s.iso3 for s in outcome.without_addressee] == ["TCD"]
    assert outcome.copies == 3


def test_existing_recipients_keep_the_addressee_staff_chose(registry, questionnaire):
    made = make_contacts(registry["FRA"])
    recipients_add(questionnaire=questionnaire, states=[registry["FRA"]])
    recipient = questionnaire.recipients.get()
    recipient.addressee = made["mission"]
    recipient.save()

    recipients_add(questionnaire=questionnaire)

    recipient.refresh_from_db()
    assert recipient.addressee == made["mission"]


def test_adding_195_states_runs_a_fixed_number_of_queries(registry, questionnaire):
    for state in registry.values():
        make_contacts(state)

    with CaptureQueriesContext(connection) as queries:
        outcome = recipients_add(questionnaire=questionnaire)

    assert (outcome.created, outcome.copies) == (195, 195)
    print(f"\nrecipients_add for 195 States: {len(queries)} queries")
    assert len(queries) <= ADD_QUERY_CEILING


def test_a_new_link_replaces_the_old_one(registry, questionnaire):
    recipients_add(questionnaire=questionnaire, states=[registry["FRA"]])
    recipient = questionnaire.recipients.get()
    old = token_of(recipient)

    new_link = recipient_regenerate_link(recipient=recipient)

    assert recipient_from_token(old) is None
    assert recipient_from_token(new_link.rstrip("/").rsplit("/", 1)[1]) == recipient


def test_declining_and_replying(registry, questionnaire):
    recipients_add(questionnaire=questionnaire, states=[registry["FRA"], registry["GBR"]])
    fra, gbr = questionnaire.recipients.order_by("state__name_en")

    recipient_decline(recipient=gbr, on=datetime.date(2008, 4, 2), note="No capacity this year.")
    gbr.refresh_from_db()
    assert (gbr.declined_on, gbr.decline_note) == (datetime.date(2008, 4, 2),
                                                  "No capacity this year.")

    assert not recipient_has_replied(fra)
    response = Response.objects.create(recipient=fra, status=Response.Status.DRAFT)
    assert not recipient_has_replied(fra)  # a draft is not a reply
    response.status, response.received_on = Response.Status.SUBMITTED, datetime.date(2008, 6, 3)
    response.save()
    assert recipient_has_replied(fra)
    assert recipient_has_replied(fra, as_of=datetime.date(2008, 6, 30))
    assert not recipient_has_replied(fra, as_of=datetime.date(2008, 4, 30))


def test_admin_adds_a_region_from_the_recipients_list(registry, questionnaire, admin_client):
    changelist = admin_client.get(reverse("admin:surveys_recipient_changelist"))
    add_url = reverse("admin:surveys_recipient_add_bulk")
    assert add_url in changelist.content.decode()

    response = admin_client.post(add_url, {"questionnaire": questionnaire.pk, "scope": "region",
                                           "region": "Oceania"}, follow=True)

    assert questionnaire.recipients.count() == 14
    text = " ".join(str(m) for m in response.context["messages"])
    assert "14 States added (0 were already recipients)" in text
    assert "No Permanent Representative or mission among the contacts of" in text

    refused = admin_client.post(add_url, {"questionnaire": questionnaire.pk, "scope": "group"})
    assert refused.status_code == 200 and b"Choose at least one." in refused.content


def test_admin_regenerates_links_and_shows_them_once(registry, questionnaire, admin_client):
    recipients_add(questionnaire=questionnaire, states=[registry["FRA"]])
    recipient = questionnaire.recipients.get()
    old = token_of(recipient)
    changelist = reverse("admin:surveys_recipient_changelist")

    confirm = admin_client.post(changelist, {"action": "regenerate_links",
                                             "_selected_action": [recipient.pk]})
    assert b"stop working" in confirm.content
    assert recipient_from_token(old) == recipient  # nothing changed yet

    shown = admin_client.post(changelist, {"action": "regenerate_links", "apply": "1",
                                           "_selected_action": [recipient.pk]})

    assert recipient_from_token(old) is None
    link = recipient_link(Recipient.objects.get(pk=recipient.pk))
    assert link in shown.content.decode()
    assert "no-store" in shown["Cache-Control"]


def test_admin_marks_states_as_declined(registry, questionnaire, admin_client):
    recipients_add(questionnaire=questionnaire, states=[registry["FRA"]])
    recipient = questionnaire.recipients.get()

    admin_client.post(reverse("admin:surveys_recipient_changelist"), {
        "action": "mark_declined", "apply": "1", "_selected_action": [recipient.pk],
        "on": "2008-04-02", "note": "Said so by phone."})

    recipient.refresh_from_db()
    assert recipient.declined_on == datetime.date(2008, 4, 2)
    filtered = admin_client.get(reverse("admin:surveys_recipient_changelist") + "?reply=declined")
    assert b"France" in filtered.content


def test_admin_recipient_page_offers_only_the_states_own_contacts(registry, questionnaire,
                                                                  admin_client):
    fra = make_contacts(registry["FRA"])
    make_contacts(registry["GBR"])
    recipients_add(questionnaire=questionnaire, states=[registry["FRA"]])
    recipient = questionnaire.recipients.get()

    page = admin_client.get(reverse("admin:surveys_recipient_change", args=[recipient.pk]))

    html = page.content.decode()
    assert page.status_code == 200
    assert "Focal point of FRA" in html and "Focal point of GBR" not in html
    admin_client.post(reverse("admin:surveys_recipient_change", args=[recipient.pk]), {
        "addressee": fra["mission"].pk, "copies": [fra["focal_point"].pk],
        "declined_on": "", "decline_note": ""})
    recipient.refresh_from_db()
    assert recipient.addressee == fra["mission"]
