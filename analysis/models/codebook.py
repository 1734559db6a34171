"""The codebook: the views analysts look for in free-text answers."""

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from surveys.models import Question, Questionnaire

key_validator = RegexValidator(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$",
                               _("Use letters, digits, “_”, “-” and “.”."))


class Code(models.Model):
    """One view of a questionnaire's codebook ("the Forum should be the sole follow-up").

    A code may apply to one question or to any; it may sit under a parent (REFI-QDA
    codebooks are trees); codes sharing an ``exclusive_group`` are alternatives of which
    a coder applies at most one per State and question ("useful" / "no opinion").
    ``keywords`` are phrases in any UN language that suggest the code.
    """

    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE,
                                      related_name="codes", verbose_name=_("questionnaire"))
    question = models.ForeignKey(
        Question, null=True, blank=True, on_delete=models.CASCADE, related_name="codes",
        verbose_name=_("question"), help_text=_("Leave empty if the view may appear in any "
                                                "answer."))
    key = models.CharField(_("key"), max_length=60, validators=[key_validator])
    label = models.CharField(_("label"), max_length=200)
    definition = models.TextField(_("definition"), blank=True,
                                  help_text=_("When to apply this code, for coders."))
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="children", verbose_name=_("parent"))
    exclusive_group = models.CharField(
        _("exclusive group"), max_length=60, blank=True,
        help_text=_("Codes with the same group exclude each other for one State and question."))
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    keywords = models.JSONField(
        _("keywords"), default=list, blank=True,
        help_text=_("Words or phrases, in any of the six languages, that suggest this code."))

    class Meta:
        ordering = ["questionnaire", "order", "id"]
        verbose_name = _("code (view)")
        verbose_name_plural = _("codebook")
        constraints = [models.UniqueConstraint(fields=["questionnaire", "key"],
                                               name="code_key_unique")]

    def __str__(self):
        return self.label

    def clean(self):
        if self.question_id and self.question.questionnaire_id != self.questionnaire_id:
            raise ValidationError({"question": _("The question is from another questionnaire.")})
        if self.parent_id:
            if self.parent.questionnaire_id != self.questionnaire_id:
                raise ValidationError({"parent": _("The parent is from another codebook.")})
            node, seen = self.parent, {self.pk}
            while node is not None:
                if node.pk in seen:
                    raise ValidationError({"parent": _("A code cannot be its own ancestor.")})
                seen.add(node.pk)
                node = node.parent
