"""Load the 2008 demo case step by step, in the order things happened.

Replies are recorded before the reminder waves and calls are replayed, so that
reminders and calls reach only the States that had not replied *at that date*,
exactly as the services decide it for a live questionnaire.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from surveys.demo import questionnaire_2008 as q2008
from surveys.demo.contacts import demo_contacts, language_of
from surveys.demo.replies_2008 import demo_replies
from surveys.models import (
    Contact,
    Dispatch,
    FollowUp,
    Question,
    Questionnaire,
    Recipient,
    ReminderRule,
    Section,
    State,
)
from surveys.services.dispatch import dispatch_create, dispatch_mark_sent
from surveys.services.followup import followup_log
from surveys.services.recipients import recipients_add
from surveys.services.reminders import reminders_send_due
from surveys.services.responses import response_save

UTC = datetime.UTC


def _at(day: datetime.date, hour: int = 10, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=UTC)


def contacts_load() -> int:
    """Three illustrative contacts per State; existing ones are left alone."""
    before = Contact.objects.count()
    Contact.objects.bulk_create(demo_contacts(), ignore_conflicts=True)
    return Contact.objects.count() - before


def questionnaire_2008_create() -> Questionnaire:
    questionnaire = Questionnaire.objects.create(
        code=q2008.CODE, title=q2008.TITLE, reference=q2008.REFERENCE,
        languages=["ar", "zh-hans", "en", "fr", "ru", "es"], default_language="en",
        introduction=q2008.INTRODUCTION, deadline=q2008.DEADLINE, cutoff=q2008.CUTOFF,
        status=Questionnaire.Status.OPEN, max_reminders=3)
    sections = {}
    for order, (code, title) in enumerate(q2008.SECTIONS, start=1):
        sections[code] = Section.objects.create(questionnaire=questionnaire, order=order,
                                                code=code, title=title)
    for order, (section, code, kind, required, text) in enumerate(q2008.QUESTIONS, start=1):
        Question.objects.create(questionnaire=questionnaire, section=sections[section],
                                order=order, code=code, type=kind, required=required, text=text)
    ReminderRule.objects.bulk_create(
        ReminderRule(questionnaire=questionnaire, days_from_deadline=days)
        for days in q2008.REMINDER_DAYS)
    return questionnaire


def _replies_record(questionnaire: Questionnaire, user) -> dict:
    members = list(State.objects.members().order_by("iso3").values_list("iso3", flat=True))
    replies, declined = demo_replies(members, {iso3: language_of(iso3) for iso3 in members})
    recipients = {r.state.iso3: r for r in questionnaire.recipients.select_related(
        "state", "questionnaire")}
    for reply in replies:
        recipient = recipients[reply.iso3]
        by_staff = reply.channel != "portal"
        arrived = _at(reply.received_on, 9 + len(reply.iso3) % 7, 15)
        response_save(recipient=recipient, data=reply.answers, language=reply.language,
                      submit=True, channel=reply.channel, received_on=reply.received_on,
                      user=user if by_staff else None, now=arrived,
                      note="Illustrative demo reply.")
        if reply.amended:
            amended = dict(reply.answers)
            amended["regional_processes"] = (amended["regional_processes"] + " "
                                             if amended["regional_processes"] else "") + {
                "en": "(Amended: the Government adds its support to regional consultative "
                      "processes.)",
                "fr": "(Modifié : le Gouvernement appuie les processus consultatifs "
                      "régionaux.)",
                "es": "(Modificado: el Gobierno apoya los procesos consultivos regionales.)",
            }[reply.language]
            response_save(recipient=recipient, data=amended, language=reply.language,
                          submit=True, channel="portal", now=arrived + datetime.timedelta(days=2),
                          note="Illustrative demo reply (amended).")
    return {"replies": replies, "declined": declined, "recipients": recipients}


def _calls_plan(story: dict) -> list[tuple[datetime.date, str, str]]:
    """(day, ISO3, outcome) of the phone calls in the week before and the week after the
    deadline; three States say they will not reply."""
    declined = story["declined"]
    outcomes = [FollowUp.Outcome.PROMISED, FollowUp.Outcome.MESSAGE_LEFT,
                FollowUp.Outcome.REACHED, FollowUp.Outcome.NO_ANSWER,
                FollowUp.Outcome.WRONG_NUMBER]
    days = [q2008.DEADLINE + datetime.timedelta(days=d) for d in range(-7, 8)]
    days = [d for d in days if d.weekday() < 5]
    plan = []
    members = sorted(iso3 for iso3, r in story["recipients"].items()
                     if r.state.status == State.Status.MEMBER)
    for index, iso3 in enumerate(members):
        if index % 3 and iso3 not in declined:
            continue  # about a third of the States are called
        outcome = FollowUp.Outcome.WILL_NOT_REPLY if iso3 in declined \
            else outcomes[index % len(outcomes)]
        plan.append((days[index % len(days)], iso3, outcome))
    return plan


def _chase_replay(questionnaire: Questionnaire, story: dict, user) -> tuple[int, int]:
    """Reminders (09:00) and calls (afternoon) day by day, each reaching only the States
    without a reply, and not declined, at that moment."""
    replied_on = {r.iso3: r.received_on for r in story["replies"]}
    rule_days = {q2008.DEADLINE + datetime.timedelta(days=rule.days_from_deadline)
                 for rule in questionnaire.reminder_rules.all()}
    calls_by_day: dict[datetime.date, list] = {}
    for day, iso3, outcome in _calls_plan(story):
        calls_by_day.setdefault(day, []).append((iso3, outcome))
    waves = calls = 0
    for day in sorted(rule_days | set(calls_by_day)):
        if day in rule_days:
            run = reminders_send_due(
                today=day, at=_at(day, 9),
                questionnaires=Questionnaire.objects.filter(pk=questionnaire.pk))
            waves += len(run.dispatches)
        for minute, (iso3, outcome) in enumerate(calls_by_day.get(day, [])):
            if iso3 in replied_on and replied_on[iso3] <= day:
                continue  # replied already: no call
            recipient = Recipient.objects.get(pk=story["recipients"][iso3].pk)
            if recipient.declined_on:
                continue
            promised = day + datetime.timedelta(days=14) \
                if outcome == FollowUp.Outcome.PROMISED else None
            followup_log(recipient=recipient, happened_at=_at(day, 15, minute % 60),
                         channel=FollowUp.Channel.PHONE, outcome=outcome, staff=user,
                         spoke_with="Mission duty officer (illustrative)",
                         promised_by=promised, note="Illustrative demo call.")
            calls += 1
    return waves, calls


@transaction.atomic
def demo_2008_load(*, user=None) -> dict:
    """The whole 2008 story; returns figures for the summary. Skipped if already there."""
    if Questionnaire.objects.filter(code=q2008.CODE).exists():
        return {"skipped": True}
    questionnaire = questionnaire_2008_create()
    added = recipients_add(questionnaire=questionnaire)

    # 18 March 2008: the letter and questionnaire faxed to the 195 Permanent
    # Representatives, with copy to the Global Forum focal points.
    sent = _at(q2008.SENT_ON, 11)
    invitation = dispatch_create(questionnaire=questionnaire, kind=Dispatch.Kind.INVITATION,
                                 channels=["fax"], include_copies=True, user=user, at=sent,
                                 note="Letter of the Under-Secretary-General (illustrative).")
    dispatch_mark_sent(dispatch=invitation, channel="fax", at=sent)

    story = _replies_record(questionnaire, user)
    # E-mail reminders on the schedule and telephone calls around the deadline.
    reminder_waves, calls = _chase_replay(questionnaire, story, user)

    # 20 July 2008: thanks to the States whose replies were counted.
    counted = [story["recipients"][r.iso3] for r in story["replies"]
               if r.received_on <= q2008.CUTOFF]
    dispatch_create(questionnaire=questionnaire, kind=Dispatch.Kind.THANK_YOU,
                    channels=["email"], include_copies=False, user=user,
                    recipients=Recipient.objects.filter(pk__in=[r.pk for r in counted]),
                    at=_at(datetime.date(2008, 7, 21), 10))
    Questionnaire.objects.filter(pk=questionnaire.pk).update(status=Questionnaire.Status.CLOSED,
                                                              sent_on=q2008.SENT_ON)
    return {"skipped": False, "questionnaire": questionnaire, "recipients": added,
            "replies": len(story["replies"]), "counted": len(counted),
            "declined": len(story["declined"]), "reminder_waves": reminder_waves,
            "calls": calls, "loaded_at": timezone.now()}
