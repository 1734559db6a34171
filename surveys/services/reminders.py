"""Reminders: the schedule around the deadline, and "remind now".

A questionnaire's ``ReminderRule`` rows say when reminders go (e.g. 14 and 3 days
before the deadline, 7 days after). A reminder goes only to States that were
invited before it, have neither replied nor declined, and have had fewer than
``Questionnaire.max_reminders`` reminders.

``send_due_reminders`` (cron) is idempotent: the wave a rule produced marks it done
(``Dispatch.scheduled_rule``), even when nobody needed the reminder, so a second run
sends nothing. If the command did not run for a while and several rules fell due,
only the latest is sent: a State is never reminded twice on the same day, and the
earlier rules are thereafter passed over.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from surveys.models import Dispatch, Message, Questionnaire, Recipient, ReminderRule
from surveys.services.dispatch import Skipped, dispatch_create
from surveys.services.recipients import replied_exists

DEFAULT_CHANNELS = (Message.Channel.EMAIL,)


@dataclass
class DueReminder:
    """A scheduled reminder to send now, and to whom."""

    questionnaire: Questionnaire
    rule: ReminderRule
    on: datetime.date
    recipients: QuerySet[Recipient]
    superseded: list[ReminderRule] = field(default_factory=list)


@dataclass
class ReminderRun:
    """What :func:`reminders_send_due` did, per questionnaire."""

    dispatches: list[Dispatch] = field(default_factory=list)
    superseded: list[tuple[Questionnaire, ReminderRule]] = field(default_factory=list)

    @property
    def messages(self) -> int:
        return sum(sum(d.counts.values()) for d in self.dispatches)


@dataclass
class RemindOutcome:
    """What :func:`recipient_remind` did: the waves, and who was left out and why.

    ``skipped`` are the States a reminder must not reach; those it could not reach (no
    address) are in each wave's own ``skipped``.
    """

    dispatches: list[Dispatch] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def messages(self) -> int:
        return sum(sum(d.counts.values()) for d in self.dispatches)

    @property
    def reminded(self) -> int:
        return sum(d.reached for d in self.dispatches)


def rule_date(rule: ReminderRule, questionnaire: Questionnaire | None = None) -> datetime.date:
    deadline = (questionnaire or rule.questionnaire).deadline
    return deadline + datetime.timedelta(days=rule.days_from_deadline)


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def reminder_candidates(*, questionnaire: Questionnaire, as_of: datetime.date,
                        invited_before: datetime.date | None = None) -> QuerySet[Recipient]:
    """Recipients a reminder may go to on ``as_of``: invited, not replied, not declined,
    not yet reminded the most times allowed."""
    queryset = (questionnaire.recipients.filter(invited_at__isnull=False)
                .filter(Q(declined_on__isnull=True) | Q(declined_on__gt=as_of))
                .filter(reminder_count__lt=questionnaire.max_reminders)
                .exclude(replied_exists(as_of)))
    if invited_before is not None:
        queryset = queryset.filter(invited_at__lt=_start_of(invited_before))
    return queryset


def reminders_due(*, questionnaire: Questionnaire, today: datetime.date) -> list[DueReminder]:
    """The scheduled reminder to send today, if any (a list of at most one).

    A rule is due when its date has come, no wave carried it out yet and no later rule
    was carried out. When several are due, the latest is sent and the others are
    reported as superseded.
    """
    if questionnaire.deadline is None:
        return []
    rules = list(questionnaire.reminder_rules.all())
    done = set(Dispatch.objects.filter(scheduled_rule__in=rules)
               .values_list("scheduled_rule_id", flat=True))
    last_done = max((rule_date(r, questionnaire) for r in rules if r.pk in done), default=None)
    due = [r for r in rules if r.pk not in done and rule_date(r, questionnaire) <= today
           and (last_done is None or rule_date(r, questionnaire) > last_done)]
    if not due:
        return []
    rule = max(due, key=lambda r: r.days_from_deadline)
    on = rule_date(rule, questionnaire)
    return [DueReminder(questionnaire=questionnaire, rule=rule, on=on,
                        recipients=reminder_candidates(questionnaire=questionnaire, as_of=today,
                                                       invited_before=on),
                        superseded=[r for r in due if r.pk != rule.pk])]


def _lock(questionnaire: Questionnaire) -> None:
    """Serialise reminder runs on one questionnaire until the transaction ends.

    PostgreSQL locks the row (SELECT ... FOR UPDATE): a second run waits, then sees the
    first run's wave. SQLite has no row locks, but a write takes the database's write
    lock at once, with the same effect (checked with two processes on a file database);
    at worst a run that cannot get it fails with "database is locked": never twice.
    """
    rows = Questionnaire.objects.filter(pk=questionnaire.pk)
    if connection.features.has_select_for_update:
        list(rows.select_for_update().values_list("pk", flat=True))
    else:
        rows.update(status=F("status"))


def reminders_send_due(*, today: datetime.date | None = None, at: datetime.datetime | None = None,
                       channels=DEFAULT_CHANNELS, questionnaires=None,
                       progress=None) -> ReminderRun:
    """Send every scheduled reminder that is due, for every open questionnaire.

    Run it as often as you like: a rule is carried out once. ``today`` and ``at``
    replay the past (the demo's 2008 reminders): with ``at`` the reminders are recorded
    as sent at that time, not queued.
    """
    today = today or (timezone.localdate(at) if at else timezone.localdate())
    run = ReminderRun()
    queryset = questionnaires if questionnaires is not None else Questionnaire.objects.all()
    queryset = queryset.filter(status=Questionnaire.Status.OPEN, deadline__isnull=False)
    for questionnaire in progress(list(queryset)) if progress else queryset:
        with transaction.atomic():
            _lock(questionnaire)
            for due in reminders_due(questionnaire=questionnaire, today=today):
                note = _("Scheduled reminder: %(rule)s (%(date)s).") % {
                    "rule": due.rule, "date": due.on.isoformat()}
                if due.superseded:
                    note += " " + _("Passed over, as a later one was due: %(rules)s.") % {
                        "rules": ", ".join(str(r) for r in due.superseded)}
                dispatch = dispatch_create(
                    questionnaire=questionnaire, kind=Dispatch.Kind.REMINDER, channels=channels,
                    recipients=due.recipients, rule=due.rule, at=at, note=note)
                run.dispatches.append(dispatch)
                run.superseded += [(questionnaire, r) for r in due.superseded]
    return run


def recipient_remind(*, recipients, user=None, at: datetime.datetime | None = None,
                     channels=DEFAULT_CHANNELS) -> RemindOutcome:
    """"Remind now": a reminder to the chosen recipients, except those it must not reach.

    Skipped, with the reason staff are shown: States that have replied or declined,
    that were never invited, or that already had the most reminders allowed.
    """
    as_of = timezone.localdate(at) if at else timezone.localdate()
    ids = recipients.values("pk") if isinstance(recipients, QuerySet) else \
        [getattr(r, "pk", r) for r in recipients]
    chosen = (Recipient.objects.filter(pk__in=ids).select_related("questionnaire", "state")
              .annotate(replied=replied_exists(as_of)).order_by("state__name_en"))
    outcome = RemindOutcome()
    eligible: dict[int, list[Recipient]] = defaultdict(list)
    for recipient in chosen:
        reason = None
        if recipient.replied:
            reason = _("has replied")
        elif recipient.declined_on and recipient.declined_on <= as_of:
            reason = _("declined to reply")
        elif recipient.invited_at is None:
            reason = _("not invited yet")
        elif recipient.reminder_count >= recipient.questionnaire.max_reminders:
            reason = _("already reminded %(n)s times, the most allowed") % {
                "n": recipient.reminder_count}
        if reason:
            outcome.skipped.append(Skipped(recipient, "", reason))
        else:
            eligible[recipient.questionnaire_id].append(recipient)

    questionnaires = {r.questionnaire_id: r.questionnaire for r in chosen}
    for questionnaire_id, group in eligible.items():
        dispatch = dispatch_create(
            questionnaire=questionnaires[questionnaire_id], kind=Dispatch.Kind.REMINDER,
            channels=channels, recipients=group, user=user, at=at,
            note=_("Reminder sent by hand (“Remind now”)."))
        outcome.dispatches.append(dispatch)
    return outcome
