"""A questionnaire: its languages, dates, sections, questions and choices.

Every text a government reads is a translated text (``{"en": ..., "fr": ...}``,
see :mod:`surveys.translated`), offered in the questionnaire's languages.
"""

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from surveys.languages import LANGUAGE_CODES, UN_LANGUAGES
from surveys.translated import translated

code_validator = RegexValidator(
    r"^[A-Za-z_][A-Za-z0-9_.-]*$",
    _("Use letters, digits, “_”, “-” and “.”, starting with a letter."),
)


# Choice values may start with a digit: XLSForms drafted elsewhere often number them.
choice_value_validator = RegexValidator(
    r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$",
    _("Use letters, digits, “_”, “-” and “.”."),
)


def all_languages():
    return list(LANGUAGE_CODES)


class Questionnaire(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open for replies")
        CLOSED = "closed", _("Closed")

    code = models.CharField(
        _("code"), max_length=40, unique=True, validators=[code_validator],
        help_text=_("A short name used in commands and file names, e.g. HLD-2008."))
    title = models.JSONField(_("title"), default=dict)
    reference = models.CharField(
        _("reference"), max_length=200, blank=True,
        help_text=_("The mandate, e.g. General Assembly resolution 61/208."))
    languages = models.JSONField(_("languages offered"), default=all_languages)
    default_language = models.CharField(_("main language"), max_length=7, choices=UN_LANGUAGES,
                                        default="en")
    introduction = models.JSONField(_("introduction"), default=dict, blank=True)
    sent_on = models.DateField(_("sent on"), null=True, blank=True)
    deadline = models.DateField(_("reply by (deadline)"), null=True, blank=True)
    cutoff = models.DateField(
        _("report cut-off"), null=True, blank=True,
        help_text=_("Replies received by this date are counted in the report."))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.DRAFT)
    max_reminders = models.PositiveSmallIntegerField(
        _("reminders per State at most"), default=3)
    copied_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="copies", verbose_name=_("copied from"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")

    def __str__(self):
        return f"{self.code} — {self.title_text()}"

    def title_text(self, language=None) -> str:
        return translated(self.title, language, self.default_language)

    def clean(self):
        unknown = [c for c in self.languages or [] if c not in LANGUAGE_CODES]
        if unknown:
            raise ValidationError({"languages": _("Not UN languages: %(codes)s")
                                   % {"codes": ", ".join(unknown)}})
        if not self.languages:
            raise ValidationError({"languages": _("Offer at least one language.")})
        if self.default_language not in self.languages:
            raise ValidationError({"default_language": _("The main language must be offered.")})
        if self.deadline and self.cutoff and self.cutoff < self.deadline:
            raise ValidationError({"cutoff": _("The cut-off cannot be before the deadline.")})
        if self.sent_on and self.deadline and self.deadline < self.sent_on:
            raise ValidationError({"deadline": _("The deadline cannot be before the sending.")})


class ReminderRule(models.Model):
    """One reminder of a questionnaire's schedule, relative to the deadline."""

    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE,
                                      related_name="reminder_rules")
    days_from_deadline = models.SmallIntegerField(
        _("days from the deadline"),
        help_text=_("Negative before the deadline (-14 = two weeks before), positive after."))

    class Meta:
        ordering = ["days_from_deadline"]
        verbose_name = _("reminder")
        verbose_name_plural = _("reminder schedule")
        constraints = [models.UniqueConstraint(fields=["questionnaire", "days_from_deadline"],
                                               name="reminder_rule_unique")]

    def __str__(self):
        days = self.days_from_deadline
        if days < 0:
            return _("%(n)s days before the deadline") % {"n": -days}
        if days > 0:
            return _("%(n)s days after the deadline") % {"n": days}
        return str(_("on the deadline"))


class Section(models.Model):
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE,
                                      related_name="sections")
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    code = models.CharField(_("code"), max_length=60, validators=[code_validator])
    title = models.JSONField(_("title"), default=dict)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("section")
        verbose_name_plural = _("sections")
        constraints = [models.UniqueConstraint(fields=["questionnaire", "code"],
                                               name="section_code_unique")]

    def __str__(self):
        return translated(self.title, None, self.questionnaire.default_language) or self.code


class Question(models.Model):
    class Type(models.TextChoices):
        TEXT = "text", _("Free text")
        YES_NO = "yes_no", _("Yes / no / no opinion")
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple choice")
        NUMBER = "number", _("Number")
        DATE = "date", _("Date")
        FILE = "file", _("File upload")

    CHOICE_TYPES = (Type.YES_NO, Type.SINGLE, Type.MULTIPLE)

    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE,
                                      related_name="questions")
    section = models.ForeignKey(Section, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="questions")
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    code = models.CharField(
        _("code"), max_length=60, validators=[code_validator],
        help_text=_("Short name of the question, used as the column name in spreadsheets."))
    type = models.CharField(_("type"), max_length=10, choices=Type.choices, default=Type.TEXT)
    required = models.BooleanField(_("required"), default=False)
    text = models.JSONField(_("question"), default=dict)
    help_text = models.JSONField(_("help text"), default=dict, blank=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        constraints = [models.UniqueConstraint(fields=["questionnaire", "code"],
                                               name="question_code_unique")]

    def __str__(self):
        return f"{self.code}: {self.text_in()}"

    def text_in(self, language=None) -> str:
        return translated(self.text, language, self.questionnaire.default_language)

    @property
    def has_choices(self) -> bool:
        return self.type in self.CHOICE_TYPES


# The choices a yes / no / no opinion question always has, in every UN language.
YES_NO_CHOICES = [
    ("yes", {"ar": "نعم", "zh-hans": "是", "en": "Yes", "fr": "Oui", "ru": "Да", "es": "Sí"}),
    ("no", {"ar": "لا", "zh-hans": "否", "en": "No", "fr": "Non", "ru": "Нет", "es": "No"}),
    ("no_opinion", {"ar": "لا رأي", "zh-hans": "无意见", "en": "No opinion",
                    "fr": "Sans opinion", "ru": "Нет мнения", "es": "Sin opinión"}),
]


class Choice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    value = models.CharField(_("value"), max_length=60, validators=[choice_value_validator])
    label = models.JSONField(_("label"), default=dict)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("choice")
        verbose_name_plural = _("choices")
        constraints = [models.UniqueConstraint(fields=["question", "value"],
                                               name="choice_value_unique")]

    def __str__(self):
        return translated(self.label) or self.value
