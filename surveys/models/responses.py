"""Replies: one State's response to one questionnaire, and its answers."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .distribution import Recipient


class Response(models.Model):
    """One State's reply to one questionnaire (its current state; versions are kept)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")

    class Channel(models.TextChoices):
        PORTAL = "portal", _("Reply portal")
        EMAIL = "email", _("E-mail")
        FAX = "fax", _("Fax")
        LETTER = "letter", _("Letter")
        IMPORT = "import", _("Spreadsheet import")

    recipient = models.OneToOneField(Recipient, on_delete=models.PROTECT,
                                     related_name="response")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.DRAFT, db_index=True)
    channel = models.CharField(_("received through"), max_length=8, choices=Channel.choices,
                               default=Channel.PORTAL)
    language = models.CharField(_("language of the original"), max_length=7, default="en")
    received_on = models.DateField(
        _("received on"), null=True, blank=True, db_index=True,
        help_text=_("The date the reply arrived (not the date it was typed in)."))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("entered by"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")

    def __str__(self):
        return f"{self.recipient.state} — {self.recipient.questionnaire.code}"
