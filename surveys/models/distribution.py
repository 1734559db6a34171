"""Who receives a questionnaire, and every sending to them (waves and messages)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .contacts import Contact
from .questionnaires import Questionnaire
from .registry import State


class Recipient(models.Model):
    """One State's place in one questionnaire: its personal link and its addressees.

    The link's token is never stored: only its SHA-256 (``token_hash``, to find the
    recipient when the link is opened) and a random ``token_salt`` from which the
    token is derived with the server's secret key (see ``surveys.services.tokens``).
    A copy of the database therefore reveals no working link.
    """

    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE,
                                      related_name="recipients")
    state = models.ForeignKey(State, on_delete=models.PROTECT, related_name="recipients")
    addressee = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("addressee"), help_text=_("Usually the Permanent Representative."))
    copies = models.ManyToManyField(Contact, blank=True, related_name="copied_on",
                                    verbose_name=_("copies to"),
                                    help_text=_("e.g. national focal points."))
    token_salt = models.CharField(max_length=32, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_created_at = models.DateTimeField(_("link created"), null=True, editable=False)
    link_revoked = models.BooleanField(_("link revoked"), default=False)
    invited_at = models.DateTimeField(_("invited"), null=True, blank=True)
    reminder_count = models.PositiveSmallIntegerField(_("reminders sent"), default=0)
    last_reminded_at = models.DateTimeField(_("last reminded"), null=True, blank=True)
    declined_on = models.DateField(_("declined on"), null=True, blank=True,
                                   help_text=_("The State said it will not reply."))
    decline_note = models.TextField(_("reason given"), blank=True)

    class Meta:
        ordering = ["questionnaire", "state__name_en"]
        verbose_name = _("recipient")
        verbose_name_plural = _("recipients")
        constraints = [models.UniqueConstraint(fields=["questionnaire", "state"],
                                               name="recipient_unique_state")]

    def __str__(self):
        return f"{self.state} — {self.questionnaire.code}"


class Dispatch(models.Model):
    """One sending (a "wave"): an invitation, a reminder or a thank-you, on some channels."""

    class Kind(models.TextChoices):
        INVITATION = "invitation", _("Invitation")
        REMINDER = "reminder", _("Reminder")
        THANK_YOU = "thank_you", _("Thank-you")

    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE,
                                      related_name="dispatches")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    channels = models.JSONField(_("channels"), default=list)
    include_copies = models.BooleanField(_("copies to focal points"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_on = models.DateTimeField(_("sent on"), null=True, blank=True,
                                   help_text=_("When the wave went out (for a fax wave, "
                                               "the time the faxes were sent)."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(_("note"), blank=True)
    scheduled_rule = models.ForeignKey(
        "ReminderRule", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text=_("The scheduled reminder this wave carried out, if any."))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("dispatch (wave)")
        verbose_name_plural = _("dispatches (waves)")

    def __str__(self):
        when = self.sent_on or self.created_at
        return f"{self.get_kind_display()} {self.questionnaire.code} {when:%Y-%m-%d}"


class Message(models.Model):
    """One message of a wave: to one contact of one recipient, on one channel."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        FAX = "fax", _("Fax")
        POST = "post", _("Post")

    class Role(models.TextChoices):
        TO = "to", _("Addressee")
        COPY = "cc", _("Copy")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        READY = "ready", _("Ready to fax or post")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    dispatch = models.ForeignKey(Dispatch, on_delete=models.CASCADE, related_name="messages")
    recipient = models.ForeignKey(Recipient, on_delete=models.CASCADE, related_name="messages")
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="messages")
    channel = models.CharField(_("channel"), max_length=5, choices=Channel.choices)
    role = models.CharField(_("as"), max_length=2, choices=Role.choices, default=Role.TO)
    address = models.CharField(_("sent to"), max_length=300,
                               help_text=_("E-mail address, fax number or postal address."))
    language = models.CharField(_("language"), max_length=7)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices,
                              default=Status.QUEUED, db_index=True)
    email = models.OneToOneField("post_office.Email", null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="inquiry_message")
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["dispatch", "recipient__state__name_en", "role", "channel"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self):
        return f"{self.get_channel_display()} → {self.address}"


class FollowUp(models.Model):
    """A call, meeting or message received about a recipient's reply: the follow-up log."""

    class Channel(models.TextChoices):
        PHONE = "phone", _("Telephone call")
        EMAIL_RECEIVED = "email", _("E-mail received")
        MEETING = "meeting", _("Meeting")
        FAX_RECEIVED = "fax", _("Fax received")
        LETTER = "letter", _("Letter received")
        OTHER = "other", _("Other")

    class Outcome(models.TextChoices):
        REACHED = "reached", _("Reached")
        PROMISED = "promised", _("Promised a reply")
        WILL_NOT_REPLY = "declined", _("Will not reply")
        WRONG_NUMBER = "wrong_number", _("Wrong number")
        MESSAGE_LEFT = "message_left", _("Message left")
        NO_ANSWER = "no_answer", _("No answer")

    recipient = models.ForeignKey(Recipient, on_delete=models.CASCADE, related_name="follow_ups")
    happened_at = models.DateTimeField(_("date"))
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices,
                               default=Channel.PHONE)
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+",
                              verbose_name=pgettext_lazy("the staff member who logged it", "by"))
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+", verbose_name=_("with"))
    spoke_with = models.CharField(_("spoke with"), max_length=200, blank=True,
                                  help_text=_("If not a registered contact."))
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    promised_by = models.DateField(_("reply promised by"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-happened_at"]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-up log")

    def __str__(self):
        return f"{self.get_channel_display()} {self.recipient.state} {self.happened_at:%Y-%m-%d}"
