"""Replies: one State's response to one questionnaire, its answers and its versions.

Nothing a State sent is ever lost: every submission (through the portal, by staff
from a letter or fax, or by import) is kept whole as a :class:`ResponseVersion`;
the current answers are :class:`Answer` rows, and django-simple-history keeps every
change to them and to the response.
"""

import os
import uuid
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .distribution import Recipient
from .questionnaires import Question


class Timing(models.TextChoices):
    ON_TIME = "on_time", _("By the deadline")
    LATE = "late", _("After the deadline, by the cut-off")
    AFTER_CUTOFF = "after_cutoff", _("After the cut-off")
    NOT_RECEIVED = "none", _("Not received")


def timing_of(received_on, questionnaire) -> str:
    """Where a reply received on a date falls: by the deadline, by the cut-off, or after."""
    if received_on is None:
        return Timing.NOT_RECEIVED
    if questionnaire.deadline is None or received_on <= questionnaire.deadline:
        return Timing.ON_TIME
    if questionnaire.cutoff is None or received_on <= questionnaire.cutoff:
        return Timing.LATE
    return Timing.AFTER_CUTOFF


class PrivateStorage(FileSystemStorage):
    """Uploaded letters live under MEDIA_ROOT/private, which no URL serves: staff
    download them through a view that checks permissions.

    The folder is read from the settings at each use, so a deployment (or a test) that
    sets MEDIA_ROOT later still gets its own folder.
    """

    def __init__(self):
        super().__init__(base_url=None)

    @property
    def base_location(self):
        return str(Path(settings.MEDIA_ROOT) / "private")

    @property
    def location(self):
        return os.path.abspath(self.base_location)


_private_storage = PrivateStorage()


def private_storage():
    """The storage of attachments (a callable, so migrations do not freeze a path)."""
    return _private_storage


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
    version = models.PositiveIntegerField(
        _("version"), default=0,
        help_text=_("Number of submitted versions; also guards against two staff saving "
                    "the same reply at once."))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")

    def __str__(self):
        return f"{self.recipient.state} — {self.recipient.questionnaire.code}"

    @property
    def timing(self) -> str:
        return timing_of(self.received_on, self.recipient.questionnaire)


class Answer(models.Model):
    """The current answer to one question; ``value`` is the structured form
    (choice values, number, ISO date, attachment id) and ``text`` the readable one."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    text = models.TextField(_("answer"), blank=True)
    value = models.JSONField(_("value"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["question__order", "question_id"]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [models.UniqueConstraint(fields=["response", "question"],
                                               name="answer_unique_per_question")]

    def __str__(self):
        return f"{self.question.code}: {self.text[:60]}"


class ResponseVersion(models.Model):
    """A whole submission, frozen: what the State sent at that moment."""

    response = models.ForeignKey(Response, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    submitted_at = models.DateTimeField(_("submitted at"))
    received_on = models.DateField(_("received on"))
    channel = models.CharField(_("received through"), max_length=8,
                               choices=Response.Channel.choices)
    language = models.CharField(_("language"), max_length=7)
    answers = models.JSONField(_("answers"), default=dict,
                               help_text=_("{question code: {text, value}} as submitted."))
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    submission_key = models.UUIDField(
        null=True, blank=True, unique=True, editable=False,
        help_text=_("Identifies one press of Submit, so a double submission is kept once."))
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["response", "number"]
        verbose_name = _("version")
        verbose_name_plural = _("versions")
        constraints = [models.UniqueConstraint(fields=["response", "number"],
                                               name="response_version_unique")]

    def __str__(self):
        return f"{self.response} v{self.number}"


def attachment_path(instance, filename):
    # Random names: an original's name may hold anything; it is kept in original_name.
    return f"attachments/{instance.response_id}/{uuid.uuid4().hex}{Path(filename).suffix.lower()}"


class Attachment(models.Model):
    """A file a State sent: the official letter, or the answer to a file question."""

    response = models.ForeignKey(Response, on_delete=models.PROTECT, related_name="attachments")
    question = models.ForeignKey(Question, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    file = models.FileField(upload_to=attachment_path, storage=private_storage)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["uploaded_at"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.original_name
