"""Reminders: only to States that have neither replied nor declined, never twice, at most N.

The schedule (-14, -3, +7 days around the deadline) is replayed day by day with
``send_due_reminders --today``; running it twice sends nothing the second time, and
two runs at once on PostgreSQL still send each reminder once.
"""

from __future__ import annotations

import datetime
import io
import threading
import time

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone
from post_office.models import Email

from surveys.models import Dispatch, Message, Questionnaire, Recipient, ReminderRule, Response
from surveys.services import reminders as reminders_service
from surveys.services.dispatch import dispatch_create
from surveys.services.recipients import recipient_decline, recipients_add
from surveys.services.reminders import recipient_remind, reminders_due, reminders_send_due
from tests.surveys.test_dispatch import ensure_message_templates, make_contacts, make_questionnaire

DEADLINE = datetime.date(2008, 4, 30)
MARCH_18 = timezone.make_aware(datetime.datetime(2008, 3, 18, 10, 0))
STATES = ["FRA", "GBR", "MEX", "CHN", "EGY", "SEN"]


def day(month, d):
    return datetime.date(2008, month, d)


def run_command(*args) -> str:
    out = io.StringIO()
    call_command("send_due_reminders", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def survey(registry):
    """The 2008 case in small: six States invited by fax on 18 March, three reminders."""
    ensure_message_templates()
    questionnaire = make_questionnaire(deadline=DEADLINE, max_reminders=3)
    for days in (-14, -3, 7):
        ReminderRule.objects.create(questionnaire=questionnaire, days_from_deadline=days)
    for iso3 in STATES:
        make_contacts(registry[iso3])
    recipients_add(questionnaire=questionnaire, states=[registry[i] for i in STATES])
    dispatch_create(questionnaire=questionnaire, kind="invitation", channels=["fax"],
                    at=MARCH_18)
    return questionnaire


def recipient(questionnaire, iso3) -> Recipient:
    return questionnaire.recipients.get(state__iso3=iso3)


def reply(questionnaire, iso3, received_on, status=Response.Status.SUBMITTED):
    return Response.objects.create(recipient=recipient(questionnaire, iso3), status=status,
                                   received_on=received_on)


def reminded(dispatch) -> set[str]:
    return set(dispatch.messages.filter(role=Message.Role.TO)
               .values_list("recipient__state__iso3", flat=True))


def test_nothing_is_due_before_the_first_reminder_date(survey):
    assert reminders_due(questionnaire=survey, today=day(4, 15)) == []
    [due] = reminders_due(questionnaire=survey, today=day(4, 16))
    assert (due.rule.days_from_deadline, due.on) == (-14, day(4, 16))
    assert due.recipients.count() == 6


def test_reminders_skip_respondents_and_states_that_declined(survey):
    reply(survey, "FRA", day(4, 10))
    reply(survey, "GBR", day(4, 12), status=Response.Status.DRAFT)  # a draft is not a reply
    recipient_decline(recipient=recipient(survey, "MEX"), on=day(4, 1), note="")

    run = reminders_send_due(today=day(4, 16))

    [dispatch] = run.dispatches
    assert reminded(dispatch) == {"GBR", "CHN", "EGY", "SEN"}
    assert dispatch.scheduled_rule.days_from_deadline == -14
    assert Email.objects.count() == 8  # addressee and focal point of four States
    assert set(survey.recipients.filter(state__iso3__in=["FRA", "MEX"])
               .values_list("reminder_count", flat=True)) == {0}


def test_running_twice_sends_nothing_the_second_time(survey):
    first = run_command("--today", "2008-04-16")
    emails = Email.objects.count()

    second = run_command("--today", "2008-04-16")

    assert "HLD-2008: reminder “14 days before the deadline”: 12 messages queued for 6 " \
           "States." in first
    assert "No reminder is due." in second
    assert Email.objects.count() == emails == 12
    assert Dispatch.objects.filter(kind="reminder").count() == 1
    assert set(survey.recipients.values_list("reminder_count", flat=True)) == {1}


def test_the_schedule_day_by_day_never_reminds_twice_nor_a_respondent(survey):
    reply(survey, "FRA", day(4, 20))  # replies between the first and second reminders
    reply(survey, "CHN", day(5, 2))   # replies after the deadline

    sent_on = {}
    current = day(4, 10)
    while current <= day(5, 31):
        # Replayed as the demo does: each day's reminders recorded at 9:00 that day, so
        # that replies are judged as they stood then.
        at = timezone.make_aware(datetime.datetime.combine(current, datetime.time(9)))
        for dispatch in reminders_send_due(at=at).dispatches:
            sent_on[current] = reminded(dispatch)
        current += datetime.timedelta(days=1)

    assert sent_on == {
        day(4, 16): set(STATES),
        day(4, 27): set(STATES) - {"FRA"},
        day(5, 7): set(STATES) - {"FRA", "CHN"},
    }
    counts = dict(survey.recipients.values_list("state__iso3", "reminder_count"))
    assert counts == {"FRA": 1, "CHN": 2, "GBR": 3, "MEX": 3, "EGY": 3, "SEN": 3}


def test_at_most_max_reminders_each(survey):
    Questionnaire.objects.filter(pk=survey.pk).update(max_reminders=1)
    recipient_remind(recipients=survey.recipients.filter(state__iso3="GBR"))

    run = reminders_send_due(today=day(4, 16))

    assert reminded(run.dispatches[0]) == set(STATES) - {"GBR"}
    assert reminders_send_due(today=day(4, 27)).dispatches[0].messages.count() == 0
    assert max(survey.recipients.values_list("reminder_count", flat=True)) == 1


def test_a_missed_run_sends_only_the_latest_reminder(survey):
    out = run_command("--today", "2008-04-28")  # -14 and -3 are both due: -3 only

    assert "reminder “14 days before the deadline” passed over" in out
    assert "reminder “3 days before the deadline”: 12 messages" in out
    assert set(survey.recipients.values_list("reminder_count", flat=True)) == {1}
    assert "No reminder is due." in run_command("--today", "2008-05-01")
    assert "7 days after the deadline" in run_command("--today", "2008-05-07")


def test_states_invited_after_a_reminder_date_are_not_reminded_by_it(survey, registry):
    make_contacts(registry["BRA"])
    recipients_add(questionnaire=survey, states=[registry["BRA"]])
    dispatch_create(questionnaire=survey, kind="invitation", channels=["email"],
                    recipients=survey.recipients.filter(state__iso3="BRA"),
                    at=timezone.make_aware(datetime.datetime(2008, 4, 20, 9, 0)))

    [dispatch] = reminders_send_due(today=day(4, 16)).dispatches
    assert "BRA" not in reminded(dispatch)
    [dispatch] = reminders_send_due(today=day(4, 27)).dispatches
    assert "BRA" in reminded(dispatch)


def test_draft_or_closed_questionnaires_send_no_reminders(survey):
    Questionnaire.objects.filter(pk=survey.pk).update(status=Questionnaire.Status.CLOSED)
    assert reminders_send_due(today=day(4, 16)).dispatches == []
    assert Dispatch.objects.filter(kind="reminder").count() == 0


def test_back_dated_reminders_are_recorded_not_queued(survey):
    april_16 = timezone.make_aware(datetime.datetime(2008, 4, 16, 9, 30))

    [dispatch] = reminders_send_due(at=april_16).dispatches

    assert dispatch.sent_on == april_16
    assert set(dispatch.messages.values_list("status", "sent_at")) == {("sent", april_16)}
    assert Email.objects.count() == 0
    assert set(survey.recipients.values_list("last_reminded_at", flat=True)) == {april_16}


def test_remind_now_says_who_was_skipped_and_why(survey):
    reply(survey, "FRA", day(4, 10))
    recipient_decline(recipient=recipient(survey, "MEX"), on=day(4, 1), note="")
    Recipient.objects.filter(state__iso3="CHN").update(invited_at=None)
    Recipient.objects.filter(state__iso3="EGY").update(reminder_count=3)

    outcome = recipient_remind(recipients=survey.recipients.all())

    reasons = {s.recipient.state.iso3: s.reason for s in outcome.skipped}
    assert reasons == {"FRA": "has replied", "MEX": "declined to reply",
                       "CHN": "not invited yet",
                       "EGY": "already reminded 3 times, the most allowed"}
    assert reminded(outcome.dispatches[0]) == {"GBR", "SEN"}
    assert outcome.reminded == 2 and outcome.messages == 4


def test_a_reminder_wave_never_reaches_a_respondent_whoever_creates_it(survey):
    reply(survey, "FRA", timezone.localdate())

    dispatch = dispatch_create(questionnaire=survey, kind="reminder", channels=["email"])

    assert "FRA" not in reminded(dispatch)
    assert ("FRA", "has replied") in {(s.recipient.state.iso3, s.reason)
                                      for s in dispatch.skipped}


def test_admin_remind_now(survey, admin_client):
    reply(survey, "FRA", day(4, 10))
    ids = list(survey.recipients.filter(state__iso3__in=["FRA", "GBR"])
               .values_list("pk", flat=True))

    response = admin_client.post("/admin/surveys/recipient/", {
        "action": "remind_now", "_selected_action": ids}, follow=True)

    text = " ".join(str(m) for m in response.context["messages"])
    assert "2 e-mails queued" in text and "(1 State)" in text
    assert "No reminder — has replied: France." in text


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_send_each_reminder_once(registry, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's test database is in memory, shared by threads without locks")
    ensure_message_templates()
    questionnaire = make_questionnaire(deadline=DEADLINE)
    ReminderRule.objects.create(questionnaire=questionnaire, days_from_deadline=-14)
    for iso3 in STATES:
        make_contacts(registry[iso3])
    recipients_add(questionnaire=questionnaire, states=[registry[i] for i in STATES])
    dispatch_create(questionnaire=questionnaire, kind="invitation", channels=["fax"],
                    at=MARCH_18)

    original = reminders_service.reminders_due

    def slow_reminders_due(**kwargs):
        found = original(**kwargs)
        time.sleep(0.3)  # both runs would have found the rule due without the lock
        return found

    monkeypatch.setattr(reminders_service, "reminders_due", slow_reminders_due)

    def run():
        try:
            reminders_send_due(today=day(4, 16))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert Dispatch.objects.filter(kind="reminder").count() == 1
    assert set(questionnaire.recipients.values_list("reminder_count", flat=True)) == {1}
