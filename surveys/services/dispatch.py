"""Waves (dispatches): one message per recipient, channel and contact.

A wave never talks to a mail server: e-mails are queued in django-post-office's
outbox and delivered later by ``manage.py send_outbox`` (see
:mod:`surveys.services.outbox`), so the admin action returns at once and an SMTP
failure leaves the message queued for a retry. Faxes and letters are prepared
("ready") with the number or address; :func:`dispatch_mark_sent` records when the
fax machine or the mail room sent them.

What became of each message is read by
:func:`surveys.services.outbox.messages_with_status`.
"""

from __future__ import annotations

import datetime
import logging
import re
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Case, F, Q, Value, When
from django.template import Context, Template
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from post_office import mail
from post_office.models import Email, EmailTemplate
from post_office.signals import email_queued

from surveys.languages import LANGUAGE_CODES
from surveys.models import Contact, Dispatch, Message, Questionnaire, Recipient
from surveys.services.recipients import replied_exists
from surveys.services.tokens import recipient_link

logger = logging.getLogger(__name__)

# The post_office EmailTemplate (by name) each kind of wave is written from; staff edit
# them under "Post Office → Email templates", one translation per UN language.
TEMPLATE_NAMES = {
    Dispatch.Kind.INVITATION: "invitation",
    Dispatch.Kind.REMINDER: "reminder",
    Dispatch.Kind.THANK_YOU: "thank_you",
}
FALLBACK_LANGUAGE = "en"
# post_office's queue priorities are low, medium and high ("now" would send in the
# request, which a wave must never do).
PRIORITY = "medium"
ALL_CHANNELS = [Message.Channel.EMAIL, Message.Channel.FAX, Message.Channel.POST]
PAPER_CHANNELS = [Message.Channel.FAX, Message.Channel.POST]
REPRESENTATIVE_ROLES = {Contact.Role.PERMANENT_REPRESENTATIVE,
                        Contact.Role.DEPUTY_PERMANENT_REPRESENTATIVE}


@dataclass
class Skipped:
    """A recipient that got no message on a channel, and why."""

    recipient: Recipient
    channel: str
    reason: str


@dataclass
class MessageText:
    subject: str
    body: str
    html: str = ""
    language: str = FALLBACK_LANGUAGE


# --- texts -------------------------------------------------------------------------------------


def message_templates(kind: str) -> dict[str, EmailTemplate]:
    """The kind's EmailTemplate in every language it exists in (one query).

    The template without a language (post_office's "default content") is English.
    """
    name = TEMPLATE_NAMES[kind]
    found = {template.language or FALLBACK_LANGUAGE: template
             for template in EmailTemplate.objects.filter(name=name).order_by("-language")}
    if not found:
        raise ValidationError(_("There is no e-mail template named “%(name)s”. Create it under "
                                "Post Office → Email templates.") % {"name": name})
    return found


class MessageRenderer:
    """Renders a kind's texts in each contact's language, compiling each template once."""

    def __init__(self, kind: str):
        self.templates = message_templates(kind)
        self._compiled: dict[tuple[str, str], Template] = {}

    def template_for(self, language: str) -> EmailTemplate:
        return self.templates.get(language) or self.templates.get(FALLBACK_LANGUAGE) or \
            next(iter(self.templates.values()))

    def language_for(self, language: str) -> str:
        """The language the text will be in: the contact's, or English if it has none."""
        return self.template_for(language).language or FALLBACK_LANGUAGE

    def _render(self, template: EmailTemplate, part: str, context: dict, autoescape: bool) -> str:
        key = (template.language, part)
        if key not in self._compiled:
            self._compiled[key] = Template(getattr(template, part))
        return self._compiled[key].render(Context(context, autoescape=autoescape))

    def render(self, language: str, context: dict) -> MessageText:
        template = self.template_for(language)
        subject = " ".join(self._render(template, "subject", context, False).split())
        body = re.sub(r"\n{3,}", "\n\n", self._render(template, "content", context, False))
        html = self._render(template, "html_content", context, True) if template.html_content \
            else ""
        used = template.language or FALLBACK_LANGUAGE
        return MessageText(subject=subject, body=body.strip() + "\n", html=html, language=used)


def contact_language(contact: Contact | None) -> str:
    language = getattr(contact, "language", "") or FALLBACK_LANGUAGE
    return language if language in LANGUAGE_CODES else FALLBACK_LANGUAGE


def date_in(language: str, value: datetime.date | None) -> str:
    """A date as that language writes it: '30 April 2008', '30 avril 2008', '2008年4月30日'."""
    if value is None:
        return ""
    with translation.override(language):
        # Django's English is American ("April 30, 2008"); the United Nations writes
        # "30 April 2008".
        return date_format(value, "j F Y" if language == "en" else "DATE_FORMAT")


def message_context(*, recipient: Recipient, contact: Contact, role: str,
                    language: str) -> dict:
    """The merge fields of a message, in the language it is written in.

    ``addressee`` is always the person the letter is addressed to (the Permanent
    Representative); on a copy, ``copy_recipient`` names who receives the copy.
    """
    questionnaire = recipient.questionnaire
    addressee = recipient.addressee or contact
    return {
        "state": recipient.state.name(language),
        "state_formal": recipient.state.formal_name(language),
        "addressee": addressee.addressee,
        "position": addressee.position,
        "is_representative": addressee.role in REPRESENTATIVE_ROLES,
        "title": questionnaire.title_text(language),
        "reference": questionnaire.reference,
        "code": questionnaire.code,
        "deadline": date_in(language, questionnaire.deadline),
        "link": recipient_link(recipient),
        "is_copy": role == Message.Role.COPY,
        "copy_recipient": contact.addressee if role == Message.Role.COPY else "",
    }


# --- addresses ---------------------------------------------------------------------------------


def contact_address(contact: Contact | None, channel: str) -> str:
    """Where a contact receives messages on a channel ('' if nowhere)."""
    if contact is None:
        return ""
    value = {Message.Channel.EMAIL: contact.email, Message.Channel.FAX: contact.fax,
             Message.Channel.POST: contact.address}[channel]
    return (value or "").strip()


def missions_by_state(state_ids) -> dict[int, Contact]:
    """Each State's active Permanent Mission contact (one query)."""
    missions = {}
    for contact in (Contact.objects.active().filter(role=Contact.Role.MISSION,
                                                    state_id__in=list(state_ids))
                    .order_by("state_id", "-updated_at", "pk")):
        missions.setdefault(contact.state_id, contact)
    return missions


@dataclass
class _Planned:
    recipient: Recipient
    contact: Contact
    channel: str
    role: str
    address: str


def _plan(recipients: list[Recipient], channels: list[str], include_copies: bool,
          missions: dict[int, Contact]) -> tuple[list[_Planned], list[Skipped]]:
    """Who gets what: the addressee (or the mission's number) and each copy, per channel."""
    planned, skipped = [], []
    for recipient in recipients:
        addressee = recipient.addressee
        mission = missions.get(recipient.state_id)
        reachable = addressee is not None and addressee.is_active
        if not reachable:
            skipped.append(Skipped(recipient, "", _("no addressee") if addressee is None
                                   else _("the addressee is marked inactive")))
        for channel in channels:
            if reachable:
                address = contact_address(addressee, channel) or contact_address(mission, channel)
                if address:
                    planned.append(_Planned(recipient, addressee, channel, Message.Role.TO,
                                            address))
                else:
                    reason = {Message.Channel.EMAIL: _("no e-mail address"),
                              Message.Channel.FAX: _("no fax number"),
                              Message.Channel.POST: _("no postal address")}[channel]
                    skipped.append(Skipped(recipient, channel, reason))
            if include_copies:
                for copy in recipient.copies.all():
                    address = contact_address(copy, channel)
                    if address and copy.is_active and copy.pk != getattr(addressee, "pk", None):
                        planned.append(_Planned(recipient, copy, channel, Message.Role.COPY,
                                                address))
    return planned, skipped


def skipped_summary(skipped: list[Skipped]) -> list[str]:
    """'E-mail — no e-mail address: Chad, Niger.' one line per channel and reason."""
    grouped: dict[tuple[str, str], list[str]] = defaultdict(list)
    for item in skipped:
        grouped[(item.channel, item.reason)].append(item.recipient.state.name_en)
    labels = dict(Message.Channel.choices)
    return [f"{labels[channel]} — {reason}: {', '.join(sorted(names))}." if channel else
            f"{reason[:1].upper()}{reason[1:]}: {', '.join(sorted(names))}."
            for (channel, reason), names in sorted(grouped.items())]


# --- waves -------------------------------------------------------------------------------------


def _recipients_for(questionnaire: Questionnaire, recipients, as_of: datetime.date):
    queryset = Recipient.objects.filter(questionnaire=questionnaire)
    if recipients is not None:
        if isinstance(recipients, models.QuerySet):
            queryset = queryset.filter(pk__in=recipients.values("pk"))
        else:
            queryset = queryset.filter(pk__in=[getattr(r, "pk", r) for r in recipients])
    return list(queryset.select_related("state", "addressee", "questionnaire")
                .prefetch_related("copies")
                .annotate(_replied=replied_exists(as_of))
                .order_by("state__name_en"))


def _not_for_kind(kind: str, recipients: list[Recipient], as_of: datetime.date):
    """A safety net whoever calls: no reminder to a respondent or a State that declined,
    no thank-you to a State that has not replied."""
    keep, skipped = [], []
    for recipient in recipients:
        declined = recipient.declined_on is not None and recipient.declined_on <= as_of
        if kind == Dispatch.Kind.REMINDER and recipient._replied:
            skipped.append(Skipped(recipient, "", _("has replied")))
        elif kind == Dispatch.Kind.REMINDER and declined:
            skipped.append(Skipped(recipient, "", _("declined to reply")))
        elif kind == Dispatch.Kind.THANK_YOU and not recipient._replied:
            skipped.append(Skipped(recipient, "", _("has not replied")))
        else:
            keep.append(recipient)
    return keep, skipped


def channels_clean(channels) -> list[str]:
    channels = [str(c) for c in (channels or [])]
    unknown = [c for c in channels if c not in ALL_CHANNELS]
    if unknown or not channels:
        raise ValidationError(_("Choose one or more channels among e-mail, fax and post."))
    return [str(c) for c in ALL_CHANNELS if c in channels]


@transaction.atomic
def dispatch_create(*, questionnaire: Questionnaire, kind: str, channels, recipients=None,
                    include_copies: bool = True, user=None, at: datetime.datetime | None = None,
                    rule=None, note: str = "") -> Dispatch:
    """Create a wave: one message per recipient, channel and contact (addressee and copies).

    E-mails are queued in the outbox in each contact's language; faxes and letters are
    made ready with the number or address. With ``at``, the wave is recorded as having
    gone out at that time outside Inquiry (e.g. the faxes of 18 March 2008): nothing is
    queued and every message is recorded as sent then.

    The returned dispatch carries ``skipped`` (recipients left out, with the reason),
    ``counts`` (messages per channel) and ``reached`` (recipients with at least one
    message), which staff must be shown.
    """
    channels = channels_clean(channels)
    when = at or timezone.now()
    as_of = timezone.localdate(when) if timezone.is_aware(when) else when.date()

    recipients = _recipients_for(questionnaire, recipients, as_of)
    recipients, skipped = _not_for_kind(kind, recipients, as_of)
    missions = missions_by_state({r.state_id for r in recipients})
    planned, unreachable = _plan(recipients, channels, include_copies, missions)
    skipped += unreachable
    renderer = MessageRenderer(kind)

    dispatch = Dispatch.objects.create(
        questionnaire=questionnaire, kind=kind, channels=channels, include_copies=include_copies,
        created_by=user if getattr(user, "pk", None) else None, scheduled_rule=rule,
        sent_on=when if at or Message.Channel.EMAIL in channels else None,
        note="\n".join(filter(None, [note, *skipped_summary(skipped)])))

    messages, emails, invalid = [], [], []
    for item in planned:
        # The merge fields follow the text: an English fallback names the State in English.
        language = renderer.language_for(contact_language(item.contact))
        text = renderer.render(language, message_context(
            recipient=item.recipient, contact=item.contact, role=item.role, language=language))
        message = Message(dispatch=dispatch, recipient=item.recipient, contact=item.contact,
                          channel=item.channel, role=item.role, address=item.address[:300],
                          language=text.language, subject=text.subject[:300])
        if at is not None:
            message.status, message.sent_at = Message.Status.SENT, at
        elif item.channel == Message.Channel.EMAIL:
            try:
                email = mail.send(commit=False, recipients=[item.address],
                                  sender=settings.DEFAULT_FROM_EMAIL, subject=text.subject,
                                  message=text.body, html_message=text.html, priority=PRIORITY,
                                  headers={"Content-Language": text.language})
            except ValidationError:
                invalid.append(Skipped(item.recipient, item.channel,
                                       _("the e-mail address is not valid")))
                continue
            email.template = renderer.template_for(language)
            message.email = email
            message.status = Message.Status.QUEUED
            emails.append(email)
        else:
            message.status = Message.Status.READY
        messages.append(message)

    if emails:
        Email.objects.bulk_create(emails)
        email_queued.send(sender=Email, emails=emails)
        for message in messages:
            if message.email is not None:
                message.email_id = message.email.pk
    Message.objects.bulk_create(messages)
    _recipients_touch(kind, {m.recipient_id for m in messages}, when)
    if kind == Dispatch.Kind.INVITATION and questionnaire.sent_on is None and messages:
        Questionnaire.objects.filter(pk=questionnaire.pk).update(sent_on=as_of)
        questionnaire.sent_on = as_of

    if invalid:  # found only while queuing: the note must name them too
        skipped += invalid
        dispatch.note = "\n".join(filter(None, [note, *skipped_summary(skipped)]))
        dispatch.save(update_fields=["note"])
    dispatch.skipped = skipped
    dispatch.reached = len({m.recipient_id for m in messages})
    dispatch.counts = {channel: sum(1 for m in messages if m.channel == channel)
                       for channel in channels}
    logger.info("Dispatch %s (%s, %s): %s messages, %s skipped: %s", dispatch.pk, kind,
                ",".join(channels), len(messages), len(skipped),
                "; ".join(skipped_summary(skipped)))
    return dispatch


def _recipients_touch(kind: str, recipient_ids: set[int], when: datetime.datetime) -> None:
    """Record on the recipients that they were invited or reminded (in bulk)."""
    if not recipient_ids:
        return
    reached = Recipient.objects.filter(pk__in=recipient_ids)
    if kind == Dispatch.Kind.INVITATION:
        reached.filter(Q(invited_at__isnull=True) | Q(invited_at__gt=when)).update(invited_at=when)
    elif kind == Dispatch.Kind.REMINDER:
        reached.update(
            reminder_count=F("reminder_count") + 1,
            last_reminded_at=Case(When(last_reminded_at__gt=when, then=F("last_reminded_at")),
                                  default=Value(when)))


@transaction.atomic
def dispatch_mark_sent(*, dispatch: Dispatch, channel: str,
                       at: datetime.datetime | None = None) -> int:
    """Record that the wave's faxes (or letters) went out at ``at`` (the fax log's time)."""
    if channel not in PAPER_CHANNELS:
        raise ValidationError(_("Only faxes and letters are marked as sent by hand; e-mails "
                                "are sent by the outbox."))
    at = at or timezone.now()
    ready = dispatch.messages.filter(channel=channel, status=Message.Status.READY)
    recipient_ids = set(ready.values_list("recipient_id", flat=True))
    count = ready.update(status=Message.Status.SENT, sent_at=at)
    if count:
        if dispatch.sent_on is None or at < dispatch.sent_on:
            dispatch.sent_on = at
            dispatch.save(update_fields=["sent_on"])
        if dispatch.kind == Dispatch.Kind.INVITATION:
            _recipients_touch(dispatch.kind, recipient_ids, at)
    return count
