"""Read-side queries shared by the follow-up screens: status board, overdue list, call list.

Every function here runs a fixed number of queries whatever the number of
recipients (the whole board of 195 States is one SQL statement), so the screens
stay fast as a questionnaire grows. Each takes an optional ``as_of`` date: the
picture as it stood at the end of that day, so that a past round (the 2008
replies counted by 30 June, then by 15 July) can be replayed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import models
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from post_office.models import STATUS as EMAIL_STATUS

from surveys.models import Contact, Dispatch, FollowUp, Message, Questionnaire, Recipient, Response


class BoardStatus(models.TextChoices):
    """Where one State stands with one questionnaire, in the order the board lists them."""

    NOT_INVITED = "not_invited", _("Not yet invited")
    INVITED = "invited", _("Invited")
    REMINDED = "reminded", _("Reminded")
    REPLIED_ON_TIME = "on_time", _("Replied on time")
    REPLIED_LATE = "late", _("Replied late")
    DECLINED = "declined", _("Declined")
    DELIVERY_FAILED = "failed", _("Delivery failed")


# Statuses of States still to be chased: no reply, no refusal.
OUTSTANDING = (BoardStatus.NOT_INVITED, BoardStatus.INVITED, BoardStatus.REMINDED,
               BoardStatus.DELIVERY_FAILED)


@dataclass
class RecipientStatus:
    """One State's line on the board: its status and the facts behind it."""

    recipient: Recipient
    status: BoardStatus
    invited_at: dt.datetime | None
    reminder_count: int
    replied_on: dt.date | None
    reply_channel: str | None
    declined_on: dt.date | None
    last_contact_at: dt.datetime | None
    last_contact_channel: str | None
    last_contact_outcome: str | None
    promised_by: dt.date | None
    mission_phone: str
    addressee_phone: str

    @property
    def state(self):
        return self.recipient.state

    @property
    def label(self) -> str:
        """The status as staff read it: "Reminded 2 times" rather than "Reminded"."""
        if self.status == BoardStatus.REMINDED:
            return ngettext("Reminded once", "Reminded %(n)d times",
                            self.reminder_count) % {"n": self.reminder_count}
        return str(self.status.label)

    @property
    def reply_channel_label(self) -> str:
        return str(Response.Channel(self.reply_channel).label) if self.reply_channel else ""

    @property
    def last_contact_channel_label(self) -> str:
        if not self.last_contact_channel:
            return ""
        return str(FollowUp.Channel(self.last_contact_channel).label)

    @property
    def last_contact_outcome_label(self) -> str:
        if not self.last_contact_outcome:
            return ""
        return str(FollowUp.Outcome(self.last_contact_outcome).label)

    @property
    def is_outstanding(self) -> bool:
        return self.status in OUTSTANDING


@dataclass
class RegionCounts:
    region: str
    counts: list[int]
    total: int


@dataclass
class StatusCounts:
    """How many States stand where, overall and per M49 region (rows × statuses)."""

    statuses: list[BoardStatus]
    by_status: dict[str, int]
    by_region: dict[str, dict[str, int]]
    total: int

    @property
    def overall(self) -> list[tuple[BoardStatus, int]]:
        return [(s, self.by_status[s]) for s in self.statuses]

    @property
    def regions(self) -> list[RegionCounts]:
        return [RegionCounts(region, [counts[s] for s in self.statuses], sum(counts.values()))
                for region, counts in self.by_region.items()]

    @property
    def totals(self) -> list[int]:
        return [self.by_status[s] for s in self.statuses]


@dataclass
class CallListEntry:
    """A non-respondent to telephone: the board's row, plus where the promises stand."""

    row: RecipientStatus
    promise_overdue: bool
    calls_in_period: int = 0


@dataclass
class CallPeriod:
    start: dt.date
    end: dt.date
    around: dt.date


def day_start(day: dt.date) -> dt.datetime:
    """Midnight opening ``day`` in the current time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def day_end(day: dt.date) -> dt.datetime:
    """The first instant after ``day``: "by D" means before it."""
    return day_start(day + dt.timedelta(days=1))


def _failed_messages() -> Q:
    # An e-mail's fate is post_office's (the outbox retries, then marks it failed); a
    # message refused before reaching the outbox has no Email and is failed itself.
    # Fax and post are marked failed by staff.
    email_failed = Q(email__status=EMAIL_STATUS.failed) | Q(email__isnull=True,
                                                            status=Message.Status.FAILED)
    return (Q(channel=Message.Channel.EMAIL) & email_failed) | (
        ~Q(channel=Message.Channel.EMAIL) & Q(status=Message.Status.FAILED))


def _recipients(*, questionnaire: Questionnaire, as_of: dt.date | None,
                period: CallPeriod | None = None):
    """The questionnaire's recipients, each annotated with what its status depends on."""
    follow_ups = FollowUp.objects.filter(recipient=OuterRef("pk")).order_by()
    messages = Message.objects.filter(recipient=OuterRef("pk")).order_by()
    if as_of is not None:
        end = day_end(as_of)
        follow_ups = follow_ups.filter(happened_at__lt=end)
        messages = messages.alias(
            _sent=Coalesce("sent_at", "dispatch__sent_on", "dispatch__created_at"),
        ).filter(_sent__lt=end)
    latest = follow_ups.order_by("-happened_at", "-pk")
    promise = latest.filter(promised_by__isnull=False)
    # The mission the dispatch service writes to (latest updated), if it has a phone.
    mission = (Contact.objects.filter(state=OuterRef("state"), role=Contact.Role.MISSION,
                                      is_active=True)
               .exclude(phone="").order_by("-updated_at", "pk"))

    queryset = (
        Recipient.objects.filter(questionnaire=questionnaire)
        .select_related("state", "addressee")
        .annotate(
            response_status=F("response__status"),
            response_received_on=F("response__received_on"),
            response_submitted_at=F("response__submitted_at"),
            response_channel=F("response__channel"),
            last_contact_at=Subquery(latest.values("happened_at")[:1]),
            last_contact_channel=Subquery(latest.values("channel")[:1]),
            last_contact_outcome=Subquery(latest.values("outcome")[:1]),
            last_promised_by=Subquery(promise.values("promised_by")[:1]),
            has_messages=Exists(messages),
            has_live_message=Exists(messages.exclude(_failed_messages())),
            mission_phone=Subquery(mission.values("phone")[:1]),
        )
        .order_by("state__name_en")
    )
    if as_of is not None:
        # Reminder waves that had gone out by that day, for recipients reminded since.
        waves = (messages.filter(dispatch__kind=Dispatch.Kind.REMINDER)
                 .values("recipient").annotate(n=Count("dispatch", distinct=True)).values("n"))
        queryset = queryset.annotate(reminders_by_then=Subquery(waves))
    if period is not None:
        calls = (FollowUp.objects.filter(recipient=OuterRef("pk"),
                                         happened_at__gte=day_start(period.start),
                                         happened_at__lt=day_end(period.end))
                 .order_by().values("recipient").annotate(n=Count("pk")).values("n"))
        queryset = queryset.annotate(calls_in_period=Subquery(calls))
    return queryset


def _reply_date(recipient) -> dt.date | None:
    if recipient.response_received_on:
        return recipient.response_received_on
    if recipient.response_submitted_at:
        return timezone.localdate(recipient.response_submitted_at)
    return None


def _row(recipient, *, deadline: dt.date | None, as_of: dt.date | None) -> RecipientStatus:
    def by_then(day: dt.date | None) -> bool:
        return day is not None and (as_of is None or day <= as_of)

    invited_at = recipient.invited_at
    if invited_at and as_of and timezone.localdate(invited_at) > as_of:
        invited_at = None
    reminders = recipient.reminder_count
    if as_of and recipient.last_reminded_at and \
            timezone.localdate(recipient.last_reminded_at) > as_of:
        reminders = recipient.reminders_by_then or 0

    replied_on = None
    submitted = recipient.response_status == Response.Status.SUBMITTED
    if submitted:
        replied_on = _reply_date(recipient)
        # A submitted reply with no date at all is counted, whatever the as-of date.
        submitted = replied_on is None or by_then(replied_on)
    declined_on = recipient.declined_on if by_then(recipient.declined_on) else None

    if submitted:
        late = deadline is not None and replied_on is not None and replied_on > deadline
        status = BoardStatus.REPLIED_LATE if late else BoardStatus.REPLIED_ON_TIME
    elif declined_on:
        status = BoardStatus.DECLINED
    elif recipient.has_messages and not recipient.has_live_message:
        status = BoardStatus.DELIVERY_FAILED
    elif reminders > 0:
        status = BoardStatus.REMINDED
    elif invited_at:
        status = BoardStatus.INVITED
    else:
        status = BoardStatus.NOT_INVITED

    addressee = recipient.addressee
    return RecipientStatus(
        recipient=recipient,
        status=status,
        invited_at=invited_at,
        reminder_count=reminders,
        replied_on=replied_on if submitted else None,
        reply_channel=recipient.response_channel if submitted else None,
        declined_on=declined_on,
        last_contact_at=recipient.last_contact_at,
        last_contact_channel=recipient.last_contact_channel,
        last_contact_outcome=recipient.last_contact_outcome,
        promised_by=recipient.last_promised_by,
        mission_phone=recipient.mission_phone or "",
        addressee_phone=addressee.phone if addressee else "",
    )


def recipient_statuses(*, questionnaire: Questionnaire,
                       as_of: dt.date | None = None) -> list[RecipientStatus]:
    """Every recipient's status, by State name, as of the end of ``as_of`` (default: now).

    As of a date, only the replies received, the refusals and the follow-ups logged
    by then count; invitations and reminders sent later are not yet sent.
    One query, whatever the number of recipients.
    """
    return [_row(r, deadline=questionnaire.deadline, as_of=as_of)
            for r in _recipients(questionnaire=questionnaire, as_of=as_of)]


def status_counts(*, questionnaire: Questionnaire, as_of: dt.date | None = None,
                  rows: list[RecipientStatus] | None = None) -> StatusCounts:
    """States per status, overall and per M49 region (pass ``rows`` to reuse a board)."""
    if rows is None:
        rows = recipient_statuses(questionnaire=questionnaire, as_of=as_of)
    statuses = list(BoardStatus)
    by_status = dict.fromkeys(statuses, 0)
    by_region: dict[str, dict[str, int]] = {}
    for row in rows:
        by_status[row.status] += 1
        region = by_region.setdefault(row.state.region, dict.fromkeys(statuses, 0))
        region[row.status] += 1
    return StatusCounts(statuses=statuses, by_status=by_status,
                        by_region=dict(sorted(by_region.items())), total=len(rows))


def overdue(*, questionnaire: Questionnaire, as_of: dt.date | None = None,
            rows: list[RecipientStatus] | None = None) -> list[RecipientStatus]:
    """States past the deadline (as of ``as_of`` or today) that neither replied nor declined."""
    today = as_of or timezone.localdate()
    if questionnaire.deadline is None or today <= questionnaire.deadline:
        return []
    if rows is None:
        rows = recipient_statuses(questionnaire=questionnaire, as_of=as_of)
    return [row for row in rows if row.is_outstanding]


def call_period(*, questionnaire: Questionnaire, around: dt.date | None = None,
                days_before: int = 7, days_after: int = 7) -> CallPeriod:
    """The calling period: by default the week before and the week after the deadline."""
    around = around or questionnaire.deadline or timezone.localdate()
    return CallPeriod(start=around - dt.timedelta(days=days_before),
                      end=around + dt.timedelta(days=days_after), around=around)


def call_list(*, questionnaire: Questionnaire, around: dt.date | None = None,
              days_before: int = 7, days_after: int = 7,
              as_of: dt.date | None = None) -> list[CallListEntry]:
    """Non-respondents to telephone around the deadline, broken promises first.

    Excludes States that replied or said they will not. Each entry carries the
    mission's and the addressee's phone, the last contact, the latest promised date
    and how many follow-ups were logged in the calling period (``around`` ± days,
    centred on the deadline by default). Sorted: promises past due (oldest first),
    then by State. One query.
    """
    period = call_period(questionnaire=questionnaire, around=around,
                         days_before=days_before, days_after=days_after)
    today = as_of or timezone.localdate()
    entries = []
    for recipient in _recipients(questionnaire=questionnaire, as_of=as_of, period=period):
        row = _row(recipient, deadline=questionnaire.deadline, as_of=as_of)
        if not row.is_outstanding:
            continue
        entries.append(CallListEntry(
            row=row,
            promise_overdue=row.promised_by is not None and row.promised_by < today,
            calls_in_period=recipient.calls_in_period or 0,
        ))
    entries.sort(key=lambda e: (not e.promise_overdue,
                                e.row.promised_by if e.promise_overdue else dt.date.min,
                                e.row.state.name_en))
    return entries
