"""The reply form of a questionnaire, in one of its languages: one field per question.

Built here, apart from any screen, because three screens show the same form: the
admin's preview, the reply portal governments open, and staff entering a reply
that came by fax or letter. The field names are the question codes, so an answer
keeps one name from the form to the spreadsheets and the report.

Validation messages are Django's own (translated into all six UN languages) and are
produced in the form's language, whatever the language of the page around it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.template.defaultfilters import filesizeformat
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext

from surveys.languages import RTL_LANGUAGES
from surveys.models import YES_NO_CHOICES, Question, Questionnaire, Section
from surveys.translated import translated

ALLOWED_EXTENSIONS = ["pdf", "docx", "doc", "odt", "png", "jpg", "jpeg"]
DEFAULT_MAX_UPLOAD_MB = 10


def max_upload_bytes() -> int:
    """The largest file a reply may attach (setting ``INQUIRY_MAX_UPLOAD_MB``, default 10)."""
    return int(getattr(settings, "INQUIRY_MAX_UPLOAD_MB", DEFAULT_MAX_UPLOAD_MB) * 1024 * 1024)


def validate_upload_size(upload) -> None:
    """Refuse a file above the limit; read at validation time so the setting can change."""
    limit = max_upload_bytes()
    if upload is not None and getattr(upload, "size", 0) > limit:
        raise ValidationError(
            gettext("The file is too large (%(size)s); the limit is %(limit)s.")
            % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
            code="file_too_large")


Layout = list[tuple[Section | None, list[Question]]]


def questionnaire_layout(questionnaire: Questionnaire) -> Layout:
    """The questions in the order a government reads them, grouped by section.

    Questions outside any section come first, then each section in its order with its
    questions in theirs; the XLSForm export writes the same order. Three queries.
    """
    sections = list(questionnaire.sections.all())
    questions = list(questionnaire.questions.prefetch_related("choices"))
    by_section: dict[int | None, list[Question]] = {None: []}
    by_section.update({s.pk: [] for s in sections})
    for question in questions:
        by_section.get(question.section_id, by_section[None]).append(question)
    layout: Layout = []
    if by_section[None]:
        layout.append((None, by_section[None]))
    layout += [(section, by_section[section.pk]) for section in sections]
    return layout


def question_choices(question: Question, language: str, fallback: str) -> list[tuple[str, str]]:
    """(value, label) pairs; a yes / no question without stored choices gets the standard ones."""
    choices = [(c.value, c.label) for c in question.choices.all()]
    if question.type == Question.Type.YES_NO and not choices:
        choices = list(YES_NO_CHOICES)
    return [(value, translated(label, language, fallback) or value) for value, label in choices]


def question_field(question: Question, language: str, fallback: str, *,
                   required: bool) -> forms.Field:
    """The form field for one question, labelled in ``language``."""
    label = translated(question.text, language, fallback) or question.code
    # Help texts are rendered unescaped by Django's form templates: they are staff's
    # plain text here, so escape them once.
    help_text = escape(translated(question.help_text, language, fallback))
    common = {"label": label, "help_text": help_text, "required": required}
    kind = question.type
    if kind == Question.Type.TEXT:
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), **common)
    if kind in (Question.Type.YES_NO, Question.Type.SINGLE):
        return forms.ChoiceField(choices=question_choices(question, language, fallback),
                                 widget=forms.RadioSelect, **common)
    if kind == Question.Type.MULTIPLE:
        return forms.MultipleChoiceField(choices=question_choices(question, language, fallback),
                                         widget=forms.CheckboxSelectMultiple, **common)
    if kind == Question.Type.NUMBER:
        # Localised: "1 234,5" is a number in French and Russian as "1,234.5" is in English.
        return forms.DecimalField(localize=True,
                                  widget=forms.TextInput(attrs={"inputmode": "decimal"}),
                                  **common)
    if kind == Question.Type.DATE:
        return forms.DateField(
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **common)
    if kind == Question.Type.FILE:
        accept = ",".join(f".{ext}" for ext in ALLOWED_EXTENSIONS)
        return forms.FileField(
            validators=[FileExtensionValidator(ALLOWED_EXTENSIONS), validate_upload_size],
            widget=forms.ClearableFileInput(attrs={"accept": accept}), **common)
    raise ValueError(f"Unknown question type {kind!r} for {question.code}")


@dataclass
class FormSection:
    """One section of a bound reply form, for templates: its title and numbered fields."""

    code: str
    title: str
    fields: list = field(default_factory=list)  # (number, BoundField) pairs


class ReplyForm(forms.Form):
    """Base class of the forms :func:`build_reply_form` makes; see there."""

    questionnaire: Questionnaire
    language: str
    layout: list[tuple[str, str, list[str]]]  # (section code, title, field names)
    # The questions (with their choices) the form was built from, so that saving and
    # acknowledging a reply need not read them again.
    question_layout: Layout
    questions: list[Question]

    @property
    def text_direction(self) -> str:
        return "rtl" if self.language in RTL_LANGUAGES else "ltr"

    @property
    def sections(self) -> list[FormSection]:
        """The bound fields grouped by section, numbered 1, 2, ... across the form."""
        groups, number = [], 0
        for code, title, names in self.layout:
            group = FormSection(code=code, title=title)
            for name in names:
                number += 1
                group.fields.append((number, self[name]))
            if group.fields:
                groups.append(group)
        return groups

    def disable(self) -> ReplyForm:
        """Make every field read-only (the preview); returns the form."""
        for form_field in self.fields.values():
            form_field.disabled = True
        return self

    def full_clean(self):
        # Error messages in the language of the form, not of the surrounding request.
        with translation.override(self.language):
            super().full_clean()
            # Django keeps messages lazy: turn them into text while the language is active.
            for errors in (self._errors or {}).values():
                errors.data = [ValidationError(message, code=error.code)
                               for error in errors.as_data() for message in error.messages]


def build_reply_form(questionnaire: Questionnaire, language: str, *,
                     enforce_required: bool = True) -> type[ReplyForm]:
    """A form class for ``questionnaire`` in ``language``; field names are question codes.

    With ``enforce_required=False`` no field is required, so a reply can be saved as a
    draft and completed later. Texts missing in ``language`` fall back to the
    questionnaire's main language.
    """
    fallback = questionnaire.default_language
    fields: dict[str, forms.Field] = {}
    layout = []
    question_layout = questionnaire_layout(questionnaire)
    for section, questions in question_layout:
        names = []
        for question in questions:
            fields[question.code] = question_field(
                question, language, fallback, required=enforce_required and question.required)
            names.append(question.code)
        title = translated(section.title, language, fallback) if section else ""
        layout.append((section.code if section else "", title, names))
    name = f"ReplyForm_{questionnaire.code}_{language}".replace("-", "_").replace(".", "_")
    form_class = type(name, (ReplyForm,), {
        "questionnaire": questionnaire, "language": language, "layout": layout,
        "question_layout": question_layout,
        "questions": [q for _section, questions in question_layout for q in questions],
        "__module__": __name__})
    # Set after class creation, so that no question code can shadow an attribute.
    form_class.base_fields = form_class.declared_fields = fields
    return form_class
