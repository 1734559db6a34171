"""The outbox: delivering queued e-mail with retries, through django-post-office.

Waves only queue e-mail (:mod:`surveys.services.dispatch`); this module delivers it,
from ``manage.py send_outbox`` (cron, every few minutes). post_office does the
work and keeps the record: each ``Email`` is *queued*, *sent*, *requeued* (an
attempt failed; it is tried again after ``POST_OFFICE["RETRY_INTERVAL"]``, at most
``MAX_RETRIES`` times) or *failed* (given up), and each attempt leaves a ``Log`` with
the error.

One addition: a server's permanent refusal of an address or a message (an SMTP 5xx
reply, e.g. "550 mailbox unavailable") fails the e-mail at once, since retrying
cannot help and staff should correct the address now rather than in an hour. And
:class:`SMTPBackend`, what the outbox delivers through when ``EMAIL_URL`` is SMTP,
reconnects after the server hangs up in the middle of a run.

One duplicate no SMTP client can prevent: a server that keeps the message and answers
only after ``EMAIL_TIMEOUT`` looks like a failure, and the retry sends it again. Both
copies carry the same Message-ID (``MESSAGE_ID_ENABLED``), so the reader's mail
program can tell them apart (tests/surveys/test_mail_faults.py).

Once delivered, an e-mail's stored text loses its personal reply link
(:func:`sent_links_remove`): the database keeps only a hash of each link, and a copy
of it must not hold working links in the outbox either. An e-mail that failed keeps
its link until it is delivered, so that it can be queued again.

The status of an e-mail has one source of truth, post_office's ``Email`` and its
``Log`` (which ``Message.email`` links to): :func:`messages_with_status` reads it for
staff, while a fax or letter carries its own status (``Message.status``). The worker
copies an e-mail's final outcome onto its message only so that history survives
post_office's ``cleanup_mail``, which deletes old e-mails.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.core.mail.backends import smtp
from django.db import models
from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy
from post_office import mail
from post_office.lockfile import FileLock, FileLocked, default_lockfile
from post_office.models import STATUS, Email, Log

from surveys.models import Dispatch, Message
from surveys.throttle import WORKING_LINK_SQL, redact_links

# Exceptions whose 5xx codes concern this one e-mail (not the server or our own
# sender address, which a retry after a fix may cure).
PERMANENT_EXCEPTIONS = ["SMTPRecipientsRefused", "SMTPDataError"]
_SMTP_CODE = re.compile(r"\((\d{3}), b?['\"]")


class OutboxBusy(Exception):
    """Another ``send_outbox`` is delivering; this one stands aside."""


class SMTPBackend(smtp.EmailBackend):
    """Django's SMTP backend, opening a new connection when the server has hung up.

    post_office keeps one connection per delivery thread for a whole batch, and smtplib
    closes it after a timeout or a ``421``. Django's backend would then fail each later
    e-mail of that thread unsent, charging it an attempt, with "please run connect()
    first" as the error staff see.
    """

    def send_messages(self, email_messages):
        if self.connection is not None and self.connection.sock is None:
            self.connection = None  # closed by smtplib: open() connects again
        return super().send_messages(email_messages)


@dataclass
class OutboxResult:
    sent: int = 0
    failed: int = 0
    requeued: int = 0
    refused: int = 0  # of ``failed``: refused permanently by the server (5xx)
    links_removed: int = 0  # delivered e-mails whose stored text lost its reply link


def outbox_due() -> QuerySet[Email]:
    """E-mails waiting for delivery whose (re)try time has come."""
    now = timezone.now()
    return Email.objects.filter(
        Q(scheduled_time__isnull=True) | Q(scheduled_time__lte=now),
        Q(expires_at__isnull=True) | Q(expires_at__gt=now),
        status__in=[STATUS.queued, STATUS.requeued])


def _is_permanent(log_message: str) -> bool:
    codes = [int(code) for code in _SMTP_CODE.findall(log_message or "")]
    return bool(codes) and all(500 <= code < 600 for code in codes)


def _fail_refused(since: datetime.datetime) -> int:
    """Give up at once on e-mails the server refused permanently in this pass."""
    logs = (Log.objects.filter(date__gte=since, status=STATUS.failed,
                               exception_type__in=PERMANENT_EXCEPTIONS,
                               email__status=STATUS.requeued)
            .values_list("email_id", "message"))
    refused = [email_id for email_id, message in logs if _is_permanent(message)]
    if refused:
        Email.objects.filter(pk__in=refused).update(status=STATUS.failed,
                                                    last_updated=timezone.now())
    return len(refused)


def _deliver(progress) -> OutboxResult:
    result = OutboxResult()
    while True:
        started = timezone.now()
        sent, failed, requeued = mail.send_queued(processes=1)
        refused = _fail_refused(started)
        result.sent += sent
        result.failed += failed + refused
        result.requeued += requeued - refused
        result.refused += refused
        if progress is not None:
            progress(sent + failed + requeued)
        # Stop when nothing is left, or when a whole pass delivered nothing (the server
        # is down): what is left waits, queued, for the next run.
        if sent == 0 or not outbox_due().exists():
            _messages_record()
            result.links_removed = sent_links_remove()
            return result


def sent_links_remove() -> int:
    """Remove the personal reply links from the stored text of delivered e-mails.

    Staff still read what was sent (the link shows as ``/r/[redacted]``); a State that
    needs its link again gets it in a reminder. Returns the number of e-mails changed.
    """
    delivered = (Email.objects.filter(status=STATUS.sent)
                 .filter(Q(message__regex=WORKING_LINK_SQL)
                         | Q(html_message__regex=WORKING_LINK_SQL))
                 .only("pk", "message", "html_message"))
    changed = []
    for email in delivered.iterator(chunk_size=500):
        email.message = redact_links(email.message or "")
        email.html_message = redact_links(email.html_message or "")
        changed.append(email)
    Email.objects.bulk_update(changed, ["message", "html_message"], batch_size=500)
    return len(changed)


def _messages_record() -> None:
    """Copy each delivered or failed e-mail's outcome onto its message (two UPDATEs).

    While post_office keeps the e-mail, its status is what staff see; this copy only
    speaks once ``cleanup_mail`` has deleted old e-mails, so history stays right.
    """
    logs = Log.objects.filter(email=OuterRef("email_id")).order_by("-date", "-pk")
    (Message.objects.filter(email__status=STATUS.sent).exclude(status=Message.Status.SENT)
     .update(status=Message.Status.SENT, error="",
             sent_at=Subquery(logs.filter(status=STATUS.sent).values("date")[:1])))
    (Message.objects.filter(email__status=STATUS.failed).exclude(status=Message.Status.FAILED)
     .update(status=Message.Status.FAILED,
             error=Coalesce(Subquery(logs.filter(status=STATUS.failed).values("message")[:1]),
                            Value(""))))


def outbox_send(*, lockfile: str | None = default_lockfile, progress=None) -> OutboxResult:
    """Deliver every e-mail that is due; a failure leaves it queued for a retry.

    ``lockfile`` keeps two runs (two cron jobs, or this and post_office's own
    ``send_queued_mail``) from delivering at once; ``None`` runs without it.
    ``progress(n)`` is called with the number of e-mails each batch handled.
    """
    if lockfile is None:
        return _deliver(progress)
    try:
        with FileLock(lockfile):
            return _deliver(progress)
    except FileLocked as exc:
        raise OutboxBusy(lockfile) from exc


def outbox_counts() -> dict[str, int]:
    """How many e-mails are waiting, retrying, sent and failed (for the command's summary)."""
    names = {STATUS.queued: "queued", STATUS.requeued: "requeued", STATUS.sent: "sent",
             STATUS.failed: "failed"}
    counts = dict.fromkeys(names.values(), 0)
    for row in Email.objects.order_by().values("status").annotate(n=Count("pk")):
        if row["status"] in names:
            counts[names[row["status"]]] = row["n"]
    return counts


def messages_requeue(*, messages: QuerySet[Message]) -> int:
    """Queue again the failed e-mails of these messages, for the next ``send_outbox``
    (after the mail server's problem is solved; a corrected address needs a new wave)."""
    emails = Email.objects.filter(inquiry_message__in=messages, status=STATUS.failed)
    Message.objects.filter(email__in=emails).update(status=Message.Status.QUEUED, error="")
    return emails.update(status=STATUS.queued, number_of_retries=0, scheduled_time=None,
                         last_updated=timezone.now())


class Delivery(models.TextChoices):
    """What staff see of a message: post_office's status for e-mail, ours for paper."""

    QUEUED = "queued", gettext_lazy("Queued")
    RETRYING = "requeued", gettext_lazy("Queued again after a failed attempt")
    READY = "ready", gettext_lazy("Ready to fax or post")
    SENT = "sent", gettext_lazy("Sent")
    FAILED = "failed", gettext_lazy("Failed")


# --- status ------------------------------------------------------------------------------------

_EMAIL_STATUS = [(STATUS.sent, Delivery.SENT), (STATUS.failed, Delivery.FAILED),
                 (STATUS.requeued, Delivery.RETRYING), (STATUS.queued, Delivery.QUEUED)]


def _delivery_case():
    return Case(*[When(email__status=code, then=Value(str(label)))
                  for code, label in _EMAIL_STATUS],
                default=F("status"), output_field=CharField())


def messages_with_status(queryset=None) -> models.QuerySet[Message]:
    """Messages annotated with what staff need to see, read from the outbox for e-mail.

    ``delivery_status`` (a :class:`Delivery` value), ``delivery_attempts`` (attempts the
    outbox made), ``delivery_error`` (the last error, while not delivered) and
    ``delivered_at``.
    """
    queryset = Message.objects.all() if queryset is None else queryset
    logs = Log.objects.filter(email=OuterRef("email_id"))
    last_error = logs.filter(status=STATUS.failed).order_by("-date", "-pk").values("message")[:1]
    attempts = (logs.filter(status__in=[STATUS.sent, STATUS.failed]).order_by()
                .values("email").annotate(n=Count("pk")).values("n"))
    sent_log = logs.filter(status=STATUS.sent).order_by("-date").values("date")[:1]
    return queryset.annotate(
        delivery_status=_delivery_case(),
        delivery_attempts=Coalesce(Subquery(attempts, output_field=IntegerField()), Value(0)),
        delivery_error=Case(
            When(email__isnull=True, then=F("error")),
            When(email__status=STATUS.sent, then=Value("")),
            default=Coalesce(Subquery(last_error), Value("")), output_field=models.TextField()),
        delivered_at=Coalesce(F("sent_at"), Subquery(sent_log),
                              output_field=models.DateTimeField()),
    )


def dispatches_with_counts(queryset=None) -> models.QuerySet[Dispatch]:
    """Dispatches with their messages counted per delivery status (no query per row)."""
    queryset = Dispatch.objects.all() if queryset is None else queryset
    # E-mails recorded with ``at`` have no outbox entry: their own status counts.
    own = Q(messages__email__isnull=True)

    def count(condition):
        return Count("messages", filter=condition, distinct=True)

    return queryset.annotate(
        n_messages=Count("messages", distinct=True),
        n_sent=count(Q(messages__email__status=STATUS.sent)
                     | (own & Q(messages__status=Message.Status.SENT))),
        n_queued=count(Q(messages__email__status=STATUS.queued)
                       | (own & Q(messages__status=Message.Status.QUEUED))),
        n_retrying=count(Q(messages__email__status=STATUS.requeued)),
        n_ready=count(own & Q(messages__status=Message.Status.READY)),
        n_failed=count(Q(messages__email__status=STATUS.failed)
                       | (own & Q(messages__status=Message.Status.FAILED))),
    )
