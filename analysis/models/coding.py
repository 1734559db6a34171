"""Coding: codes applied to answers, by each coder and, reconciled, in the final coding."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from surveys.models import Answer, Response

from .codebook import Code


class Coding(models.Model):
    """One code applied to one answer.

    Each coder codes independently (``FINAL`` false); the reconciled coding that tallies
    count is the set of codings with ``final`` true. Tallies count States, never passages.
    """

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="codings",
                               verbose_name=_("answer"))
    code = models.ForeignKey(Code, on_delete=models.CASCADE, related_name="codings",
                             verbose_name=_("code"))
    coder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              related_name="codings", verbose_name=_("coder"))
    final = models.BooleanField(
        _("final"), default=False, db_index=True,
        help_text=_("Part of the reconciled coding that the report counts."))
    excerpt = models.TextField(_("excerpt"), blank=True,
                               help_text=_("The passage that expresses the view (optional)."))
    created_at = models.DateTimeField(_("coded at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["answer", "code__order"]
        verbose_name = _("coding")
        verbose_name_plural = _("codings")
        constraints = [
            models.UniqueConstraint(fields=["answer", "code", "coder", "final"],
                                    name="coding_unique"),
        ]

    def __str__(self):
        return f"{self.code.key} ← {self.answer}"


class ReplyReview(models.Model):
    """A coder has been through a whole reply: saved it on the coding screen, with codes
    or without.

    A reply in which a coder found no view leaves no coding; without this record it
    would look "not coded yet", and agreement would leave that State out (so the
    coders' agreement would look better than it is: only States both coded count).
    """

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="reviews",
                                 verbose_name=_("reply"))
    coder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              related_name="reply_reviews", verbose_name=_("coder"))
    reviewed_at = models.DateTimeField(_("coded at"))

    class Meta:
        verbose_name = _("reply coded")
        verbose_name_plural = _("replies coded")
        constraints = [models.UniqueConstraint(fields=["response", "coder"],
                                               name="reply_review_unique")]

    def __str__(self):
        return f"{self.response} — {self.coder}"


class Suggestion(models.Model):
    """A code that a keyword suggests for an answer; never counted until a coder accepts it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("To review")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="suggestions")
    code = models.ForeignKey(Code, on_delete=models.CASCADE, related_name="suggestions")
    matched = models.CharField(_("matched words"), max_length=200)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices,
                              default=Status.PENDING, db_index=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("suggestion")
        verbose_name_plural = _("suggestions")
        constraints = [models.UniqueConstraint(fields=["answer", "code"],
                                               name="suggestion_unique")]

    def __str__(self):
        return f"{self.code.key}? {self.answer}"
