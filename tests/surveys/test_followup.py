"""The follow-up log: the service, the admin, and logging a call from the call list.

A State that says it will not reply is marked as declined, whichever way the call is
logged; the user who logs a call from the call list comes back to it.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from surveys.models import Contact, FollowUp, Recipient
from surveys.selectors import BoardStatus, recipient_statuses
from surveys.services.followup import followup_log
from tests.surveys.test_status_board import (
    MISSION_PHONE,
    at,
    make_questionnaire,
    make_recipient,
    mission,
)

FOLLOWUPS_URL = "admin:surveys_followup_changelist"
FOLLOWUP_ADD_URL = "admin:surveys_followup_add"


@pytest.fixture
def questionnaire(db):
    return make_questionnaire()


@pytest.fixture
def italy(questionnaire, registry):
    mission(registry["ITA"])
    return make_recipient(questionnaire, registry["ITA"], invited_at=at(dt.date(2008, 3, 18)))


def calls_url(questionnaire):
    return reverse("admin:surveys_questionnaire_calls", args=[questionnaire.pk])


# --- the service ------------------------------------------------------------------------------


def test_will_not_reply_marks_the_recipient_declined(italy, admin_user):
    follow_up = followup_log(recipient=italy, happened_at=at(dt.date(2008, 5, 2)),
                             channel=FollowUp.Channel.PHONE,
                             outcome=FollowUp.Outcome.WILL_NOT_REPLY, staff=admin_user,
                             spoke_with="First Secretary", note="No capacity this year.")
    italy.refresh_from_db()
    assert italy.declined_on == dt.date(2008, 5, 2)
    assert italy.decline_note == "No capacity this year."
    assert follow_up.pk and follow_up.staff == admin_user


def test_a_second_refusal_keeps_the_first_date(italy):
    Recipient.objects.filter(pk=italy.pk).update(declined_on=dt.date(2008, 4, 1),
                                                 decline_note="By letter.")
    italy.refresh_from_db()
    followup_log(recipient=italy, happened_at=at(dt.date(2008, 5, 2)),
                 channel=FollowUp.Channel.PHONE, outcome=FollowUp.Outcome.WILL_NOT_REPLY,
                 note="Confirmed.")
    italy.refresh_from_db()
    assert italy.declined_on == dt.date(2008, 4, 1)
    assert italy.decline_note == "By letter."


def test_other_outcomes_do_not_decline(italy):
    for outcome in [FollowUp.Outcome.REACHED, FollowUp.Outcome.WRONG_NUMBER,
                    FollowUp.Outcome.MESSAGE_LEFT, FollowUp.Outcome.NO_ANSWER]:
        followup_log(recipient=italy, happened_at=at(dt.date(2008, 5, 2)),
                     channel=FollowUp.Channel.PHONE, outcome=outcome)
    italy.refresh_from_db()
    assert italy.declined_on is None
    assert italy.follow_ups.count() == 4


def test_a_promise_needs_a_date_and_bad_input_changes_nothing(italy, registry):
    with pytest.raises(ValidationError) as error:
        followup_log(recipient=italy, happened_at=at(dt.date(2008, 5, 2)),
                     channel=FollowUp.Channel.PHONE, outcome=FollowUp.Outcome.PROMISED)
    assert "promised_by" in error.value.message_dict
    france = Contact.objects.create(state=registry["FRA"], role=Contact.Role.MISSION,
                                    name="Permanent Mission of France")
    with pytest.raises(ValidationError) as error:
        followup_log(recipient=italy, happened_at=at(dt.date(2008, 5, 2)),
                     channel=FollowUp.Channel.PHONE, outcome=FollowUp.Outcome.WILL_NOT_REPLY,
                     contact=france)
    assert "contact" in error.value.message_dict
    with pytest.raises(ValidationError):
        followup_log(recipient=italy, happened_at=at(dt.date(2008, 5, 2)),
                     channel="carrier-pigeon", outcome=FollowUp.Outcome.REACHED)
    italy.refresh_from_db()
    assert italy.declined_on is None
    assert not italy.follow_ups.exists()


def test_a_logged_decline_shows_on_the_board_from_that_day(questionnaire, italy):
    followup_log(recipient=italy, happened_at=at(dt.date(2008, 5, 2)),
                 channel=FollowUp.Channel.MEETING, outcome=FollowUp.Outcome.WILL_NOT_REPLY)
    [before] = recipient_statuses(questionnaire=questionnaire, as_of=dt.date(2008, 5, 1))
    [after] = recipient_statuses(questionnaire=questionnaire, as_of=dt.date(2008, 5, 2))
    assert before.status == BoardStatus.INVITED
    assert after.status == BoardStatus.DECLINED
    assert after.last_contact_channel_label == "Meeting"


# --- the admin --------------------------------------------------------------------------------


def add_form_data(recipient, **fields):
    return {"recipient": recipient.pk, "happened_at_0": "2008-05-02",
            "happened_at_1": "10:30:00", "channel": FollowUp.Channel.PHONE,
            "outcome": FollowUp.Outcome.REACHED, "contact": "", "spoke_with": "",
            "promised_by": "", "note": "", "staff": "", **fields}


def test_the_add_form_is_prefilled_from_the_address(admin_client, italy):
    url = reverse(FOLLOWUP_ADD_URL)
    response = admin_client.get(url, {"recipient": italy.pk, "channel": "phone"})
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert str(form.initial["recipient"]) == str(italy.pk)
    assert form.initial["channel"] == "phone"
    assert form.initial["staff"] == response.wsgi_request.user.pk


def test_logging_a_refusal_in_the_admin_declines_and_returns_to_the_call_list(
        admin_client, admin_user, questionnaire, italy):
    back = calls_url(questionnaire)
    url = reverse(FOLLOWUP_ADD_URL) + "?" + f"recipient={italy.pk}&channel=phone&next={back}"
    response = admin_client.post(url, add_form_data(
        italy, outcome=FollowUp.Outcome.WILL_NOT_REPLY, note="Will not reply this time."))
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert response["Location"] == back
    follow_up = italy.follow_ups.get()
    assert follow_up.staff == admin_user  # left blank: the user who logged it
    italy.refresh_from_db()
    assert italy.declined_on == dt.date(2008, 5, 2)
    page = admin_client.get(back).content.decode()
    assert f'id="recipient-{italy.pk}"' not in page  # declined States are not called


def test_the_admin_refuses_a_promise_without_a_date(admin_client, italy):
    response = admin_client.post(reverse(FOLLOWUP_ADD_URL),
                                 add_form_data(italy, outcome=FollowUp.Outcome.PROMISED))
    assert response.status_code == 200
    assert "promised_by" in response.context["adminform"].form.errors
    assert not italy.follow_ups.exists()


def test_next_must_stay_on_the_site(admin_client, italy):
    url = reverse(FOLLOWUP_ADD_URL) + "?next=https://evil.example/"
    response = admin_client.post(url, add_form_data(italy))
    assert response.status_code == 302
    assert response["Location"] == reverse(FOLLOWUPS_URL)


def test_the_log_lists_filters_and_searches(admin_client, questionnaire, registry, italy):
    other = make_recipient(questionnaire, registry["FRA"])
    followup_log(recipient=italy, happened_at=at(dt.date(2008, 4, 28)),
                 channel=FollowUp.Channel.PHONE, outcome=FollowUp.Outcome.PROMISED,
                 promised_by=dt.date(2008, 5, 9), note="Being cleared by the capital " * 5)
    followup_log(recipient=other, happened_at=at(dt.date(2008, 4, 29)),
                 channel=FollowUp.Channel.EMAIL_RECEIVED, outcome=FollowUp.Outcome.REACHED)
    url = reverse(FOLLOWUPS_URL)
    page = admin_client.get(url)
    assert page.status_code == 200
    assert page.context["cl"].result_count == 2
    assert "Being cleared by the capital Being cleared by the capital B…" in page.content.decode()
    assert admin_client.get(url, {"q": "Italy"}).context["cl"].result_count == 1
    assert admin_client.get(url, {"channel__exact": "email"}).context["cl"].result_count == 1
    assert admin_client.get(url, {"recipient__questionnaire__id__exact": questionnaire.pk}
                            ).context["cl"].result_count == 2
    assert admin_client.get(url, {"happened_at__year": "2008"}).status_code == 200


def test_the_log_runs_the_same_queries_for_few_and_many(admin_client, questionnaire, registry):
    states = sorted(registry.values(), key=lambda s: s.iso3)

    def log(states):
        for state in states:
            recipient = make_recipient(questionnaire, state)
            followup_log(recipient=recipient, happened_at=at(dt.date(2008, 4, 28)),
                         channel=FollowUp.Channel.PHONE, outcome=FollowUp.Outcome.NO_ANSWER)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(reverse(FOLLOWUPS_URL)).status_code == 200
        return len(captured)

    log(states[:5])
    admin_client.get(reverse(FOLLOWUPS_URL))
    few = queries()
    log(states[5:80])
    assert queries() == few


# --- logging from the call list ---------------------------------------------------------------


def test_logging_a_call_from_the_call_list(admin_client, admin_user, questionnaire, italy):
    url = calls_url(questionnaire)
    page = admin_client.get(url).content.decode()
    assert MISSION_PHONE in page
    assert f'id="recipient-{italy.pk}"' in page
    response = admin_client.post(url, {"recipient": italy.pk,
                                       "outcome": FollowUp.Outcome.PROMISED,
                                       "promised_by": "2008-05-09", "spoke_with": "Counsellor",
                                       "note": "Reply being cleared."})
    assert response.status_code == 302
    assert response["Location"] == url
    follow_up = italy.follow_ups.get()
    assert follow_up.channel == FollowUp.Channel.PHONE
    assert follow_up.staff == admin_user
    assert follow_up.promised_by == dt.date(2008, 5, 9)
    page = admin_client.get(url).content.decode()
    assert "Call to Italy logged" in page
    assert "9 May 2008" in page


def test_a_declined_call_from_the_call_list_takes_the_state_off_it(
        admin_client, questionnaire, italy):
    url = calls_url(questionnaire)
    response = admin_client.post(url, {"recipient": italy.pk,
                                       "outcome": FollowUp.Outcome.WILL_NOT_REPLY})
    assert response.status_code == 302
    italy.refresh_from_db()
    assert italy.declined_on is not None
    page = admin_client.get(url).content.decode()
    assert "Call to Italy logged: Will not reply." in page
    assert f'id="recipient-{italy.pk}"' not in page


def test_a_bad_call_form_is_shown_again_with_its_error(admin_client, questionnaire, italy):
    url = calls_url(questionnaire)
    response = admin_client.post(url, {"recipient": italy.pk,
                                       "outcome": FollowUp.Outcome.PROMISED, "note": "soon"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Give the date by which a reply was promised." in page
    assert 'value="soon"' in page
    assert not italy.follow_ups.exists()


def test_a_recipient_of_another_questionnaire_cannot_be_logged_here(
        admin_client, questionnaire, registry):
    other = make_recipient(make_questionnaire("OTHER-2009"), registry["FRA"])
    response = admin_client.post(calls_url(questionnaire),
                                 {"recipient": other.pk, "outcome": FollowUp.Outcome.REACHED})
    assert response.status_code == 200
    assert not other.follow_ups.exists()


def test_add_permission_on_the_log_opens_the_call_form(client, django_user_model,
                                                        questionnaire, italy):
    user = django_user_model.objects.create_user("caller", password="x", is_staff=True)
    # The call list is names and telephone numbers: it needs to see the contacts too.
    user.user_permissions.add(*Permission.objects.filter(
        codename__in=["view_questionnaire", "view_contact", "add_followup"]))
    client.force_login(user)
    url = calls_url(questionnaire)
    assert "Log call" in client.get(url).content.decode()
    response = client.post(url, {"recipient": italy.pk, "outcome": FollowUp.Outcome.REACHED})
    assert response.status_code == 302
    assert italy.follow_ups.get().staff == user
