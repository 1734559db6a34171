"""Admin for questionnaires: texts in six languages, sections, questions, preview, XLSForm.

The screens stay thin: copying, opening, closing and the XLSForm import and export
are services (:mod:`surveys.services.questionnaires`, :mod:`surveys.xlsform`) that
the management commands call too; the preview shows the very form of
:mod:`surveys.reply_form` that governments will fill in.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, F, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import translation
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from surveys.languages import LANGUAGE_CODES, RTL_LANGUAGES, UN_LANGUAGES
from surveys.models import Choice, Question, Questionnaire, Recipient, ReminderRule, Section
from surveys.models.questionnaires import code_validator
from surveys.reply_form import build_reply_form
from surveys.services.questionnaires import (
    question_ensure_yes_no_choices,
    questionnaire_close,
    questionnaire_copy,
    questionnaire_copy_code,
    questionnaire_missing_translations,
    questionnaire_open,
)
from surveys.spreadsheets import UploadValidator
from surveys.translated import TranslatedTextField, translated
from surveys.xlsform import (
    XLSX_MIME,
    XlsformError,
    questionnaire_from_xlsform,
    questionnaire_to_xlsform,
)

from . import board

# --- forms -------------------------------------------------------------------------------------


class QuestionnaireForm(forms.ModelForm):
    title = TranslatedTextField(label=capfirst(gettext_lazy("title")))
    introduction = TranslatedTextField(
        label=capfirst(gettext_lazy("introduction")), multiline=True, required=False,
        help_text=gettext_lazy("Shown above the questions: the purpose, the mandate, how to "
                               "reply."))
    languages = forms.MultipleChoiceField(
        label=capfirst(gettext_lazy("languages offered")), choices=UN_LANGUAGES,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Governments choose among these when they reply."))

    class Meta:
        model = Questionnaire
        fields = ["code", "title", "reference", "languages", "default_language", "introduction",
                  "sent_on", "deadline", "cutoff", "max_reminders"]

    def clean_languages(self):
        chosen = self.cleaned_data["languages"]
        return [code for code in LANGUAGE_CODES if code in chosen]

    def clean(self):
        cleaned = super().clean()
        main, title = cleaned.get("default_language"), cleaned.get("title") or {}
        if main and title and not title.get(main):
            self.add_error("title", _("Give the title in the main language."))
        return cleaned


class SectionForm(forms.ModelForm):
    title = TranslatedTextField(label=capfirst(gettext_lazy("title")))

    class Meta:
        model = Section
        fields = ["order", "code", "title"]


class QuestionForm(forms.ModelForm):
    text = TranslatedTextField(label=capfirst(gettext_lazy("question")), multiline=True)
    help_text = TranslatedTextField(label=capfirst(gettext_lazy("help text")), multiline=True,
                                    required=False)

    class Meta:
        model = Question
        fields = ["questionnaire", "section", "order", "code", "type", "required", "text",
                  "help_text"]

    def clean(self):
        cleaned = super().clean()
        section = cleaned.get("section")
        questionnaire = cleaned.get("questionnaire") or getattr(self.instance, "questionnaire",
                                                                None)
        if section and questionnaire and section.questionnaire_id != questionnaire.pk:
            self.add_error("section", _("This section belongs to another questionnaire."))
        return cleaned


class ChoiceForm(forms.ModelForm):
    label = TranslatedTextField(label=capfirst(gettext_lazy("label")))

    class Meta:
        model = Choice
        fields = ["order", "value", "label"]


class XlsformUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("XLSForm workbook (.xlsx)"),
                           validators=[UploadValidator(["xlsx"])])
    code = forms.CharField(
        label=capfirst(gettext_lazy("code")), required=False, max_length=40,
        validators=[code_validator],
        help_text=gettext_lazy("Leave empty to use the form_id of the settings sheet."))


# --- inlines -----------------------------------------------------------------------------------


def _sections_of_page(request):
    """The sections of the questionnaire being edited (none on the add page), read once."""
    object_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
    if object_id is None:
        return Section.objects.none()
    return Section.objects.select_related("questionnaire").filter(questionnaire_id=unquote(
        object_id))


class ReminderRuleInline(admin.TabularInline):
    model = ReminderRule
    extra = 0
    fields = ["days_from_deadline"]


class SectionInline(admin.TabularInline):
    model = Section
    form = SectionForm
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("questionnaire")


class QuestionInline(admin.StackedInline):
    model = Question
    form = QuestionForm
    extra = 0
    show_change_link = True  # the question's own page edits its choices
    fields = [("order", "code", "type", "required", "section"), "text", "help_text",
              "choice_summary"]
    readonly_fields = ["choice_summary"]

    def get_queryset(self, request):
        # In the order governments read them (surveys.reply_form.questionnaire_layout).
        return (super().get_queryset(request).select_related("questionnaire")
                .prefetch_related("choices")
                .order_by(F("section__order").asc(nulls_first=True), "section_id", "order", "id"))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "section":
            kwargs["queryset"] = _sections_of_page(request)
            field = super().formfield_for_foreignkey(db_field, request, **kwargs)
            field.choices = list(field.choices)  # one query for all the questions' menus
            return field
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=gettext_lazy("choices"))
    def choice_summary(self, obj):
        if not obj.pk or not obj.has_choices:
            return "—"
        values = ", ".join(c.value for c in obj.choices.all()) or _("none yet")
        return format_html('{} (<a href="{}">{}</a>)', values,
                           reverse("admin:surveys_question_change", args=[obj.pk]),
                           _("edit the choices"))


class ChoiceInline(admin.TabularInline):
    model = Choice
    form = ChoiceForm
    extra = 0


# --- questions ---------------------------------------------------------------------------------


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    form = QuestionForm
    list_display = ["code", "questionnaire", "section", "type", "required", "order"]
    list_select_related = ["questionnaire", "section__questionnaire"]
    list_filter = ["type", "required", "questionnaire"]
    search_fields = ["code", "questionnaire__code"]
    inlines = [ChoiceInline]

    def get_readonly_fields(self, request, obj=None):
        return ["questionnaire"] if obj else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "section":
            object_id = request.resolver_match.kwargs.get("object_id")
            sections = Section.objects.select_related("questionnaire")
            if object_id:
                question = Question.objects.filter(pk=unquote(object_id)).first()
                sections = sections.filter(questionnaire_id=question.questionnaire_id
                                           if question else None)
            kwargs["queryset"] = sections
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        question_ensure_yes_no_choices(question=form.instance)


# --- questionnaires ----------------------------------------------------------------------------


def _count(model):
    rows = (model.objects.filter(questionnaire=OuterRef("pk")).order_by()
            .values("questionnaire").annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


@admin.register(Questionnaire)
class QuestionnaireAdmin(admin.ModelAdmin):
    form = QuestionnaireForm
    list_display = ["code", "title_display", "status", "sent_on", "deadline", "cutoff",
                    "question_count", "recipient_count"]
    list_filter = ["status"]
    search_fields = ["code", "reference"]
    readonly_fields = ["status", "copied_from", "created_at"]
    fieldsets = [
        (None, {"fields": ["code", "title", "reference", ("status", "copied_from")]}),
        (gettext_lazy("Languages"), {"fields": ["languages", "default_language",
                                                "introduction"]}),
        (gettext_lazy("Dates"), {"fields": [("sent_on", "deadline", "cutoff")]}),
        (gettext_lazy("Reminders"), {
            "fields": ["max_reminders"],
            "description": gettext_lazy(
                "The schedule below lists when reminders are due, counted in days from the "
                "deadline: -14 is two weeks before it, 0 the day itself, 7 a week after.")}),
    ]
    inlines = [ReminderRuleInline, SectionInline, QuestionInline]
    actions = ["copy_for_new_round", "open_for_replies", "close_for_replies"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_questions=_count(Question),
                                                      _recipients=_count(Recipient))

    @admin.display(description=gettext_lazy("title"))
    def title_display(self, obj):
        return obj.title_text()

    @admin.display(description=gettext_lazy("questions"), ordering="_questions")
    def question_count(self, obj):
        return obj._questions

    @admin.display(description=gettext_lazy("recipients"), ordering="_recipients")
    def recipient_count(self, obj):
        return obj._recipients

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        for question in form.instance.questions.filter(type=Question.Type.YES_NO):
            question_ensure_yes_no_choices(question=question)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        offered = obj.languages if obj else []
        extra_context = {**(extra_context or {}),
                         "preview_languages": [(c, n) for c, n in UN_LANGUAGES if c in offered],
                         "can_see_calls": board.can_see_contacts(request)}
        return super().change_view(request, object_id, form_url, extra_context)

    # --- actions ---

    def _link(self, questionnaire):
        url = reverse("admin:surveys_questionnaire_change", args=[quote(questionnaire.pk)])
        return format_html('<a href="{}">{}</a>', url, questionnaire.code)

    @admin.action(description=gettext_lazy("Copy to start a new round"),
                  permissions=["add"])
    def copy_for_new_round(self, request, queryset):
        for questionnaire in queryset:
            try:
                copy = questionnaire_copy(
                    questionnaire=questionnaire,
                    code=questionnaire_copy_code(questionnaire=questionnaire))
            except ValidationError as exc:
                self.message_user(request, f"{questionnaire.code}: {' '.join(exc.messages)}",
                                  messages.ERROR)
                continue
            self.message_user(request, format_html(
                _("{} copied to {}, a draft without dates: set its code, dates and recipients."),
                questionnaire.code, self._link(copy)), messages.SUCCESS)

    @admin.action(description=gettext_lazy("Open for replies"), permissions=["change"])
    def open_for_replies(self, request, queryset):
        for questionnaire in queryset:
            try:
                questionnaire_open(questionnaire=questionnaire)
            except ValidationError as exc:
                for message in exc.messages:
                    self.message_user(request, message, messages.ERROR)
                continue
            self.message_user(request, _("%(code)s is open for replies.")
                              % {"code": questionnaire.code}, messages.SUCCESS)
            missing = questionnaire_missing_translations(questionnaire=questionnaire)
            for warning in missing[:10]:
                self.message_user(request, f"{questionnaire.code}: {warning}", messages.WARNING)
            if len(missing) > 10:
                self.message_user(request, _("%(code)s: %(n)s more texts lack a translation.")
                                  % {"code": questionnaire.code, "n": len(missing) - 10},
                                  messages.WARNING)

    @admin.action(description=gettext_lazy("Close"), permissions=["change"])
    def close_for_replies(self, request, queryset):
        for questionnaire in queryset:
            try:
                questionnaire_close(questionnaire=questionnaire)
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
                continue
            self.message_user(request, _("%(code)s is closed: the portal takes no more replies.")
                              % {"code": questionnaire.code}, messages.SUCCESS)

    # --- extra screens ---

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("import-xlsform/", wrap(self.import_xlsform_view),
                 name="surveys_questionnaire_import_xlsform"),
            path("<path:object_id>/preview/<str:language>/", wrap(self.preview_view),
                 name="surveys_questionnaire_preview"),
            path("<path:object_id>/xlsform/", wrap(self.xlsform_view),
                 name="surveys_questionnaire_xlsform"),
            path("<path:object_id>/status/", wrap(self.status_board_view),
                 name="surveys_questionnaire_status"),
            path("<path:object_id>/status.xlsx", wrap(self.status_board_export_view),
                 name="surveys_questionnaire_status_export"),
            path("<path:object_id>/calls/", wrap(self.call_list_view),
                 name="surveys_questionnaire_calls"),
            *super().get_urls(),
        ]

    def _viewable(self, request, object_id) -> Questionnaire:
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(_("No questionnaire has this address."))
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        return obj

    def _context(self, request, obj, title, **extra):
        return {**self.admin_site.each_context(request), "opts": self.opts, "original": obj,
                "title": title, "has_view_permission": True, **extra}

    def preview_view(self, request, object_id, language):
        """The reply form as a government sees it in ``language``, read-only."""
        obj = self._viewable(request, object_id)
        if language not in (obj.languages or []):
            raise Http404(_("This questionnaire is not offered in that language."))
        form = build_reply_form(obj, language)().disable()
        with translation.override(language):
            body = render_to_string("surveys/questionnaire/reply_form.html", {
                "form": form, "questionnaire": obj, "language": language,
                "title": translated(obj.title, language, obj.default_language),
                "introduction": translated(obj.introduction, language, obj.default_language),
            })
        names = dict(UN_LANGUAGES)
        context = self._context(
            request, obj, _("Preview (%(language)s)") % {"language": names[language]},
            form_html=body, language=language,
            direction="rtl" if language in RTL_LANGUAGES else "ltr",
            languages=[(c, n) for c, n in UN_LANGUAGES if c in obj.languages])
        return TemplateResponse(request, "admin/surveys/questionnaire/preview.html", context)

    def xlsform_view(self, request, object_id):
        obj = self._viewable(request, object_id)
        response = HttpResponse(questionnaire_to_xlsform(obj), content_type=XLSX_MIME)
        response["Content-Disposition"] = f'attachment; filename="{obj.code}.xlsx"'
        return response

    def import_xlsform_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = XlsformUploadForm(request.POST or None, request.FILES or None)
        errors = []
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                obj, report = questionnaire_from_xlsform(
                    upload.read(), code=form.cleaned_data["code"] or None)
            except XlsformError as exc:
                errors = exc.messages
            else:
                self.log_addition(request, obj, [{"added": {}}])
                self.message_user(request, format_html(
                    "{} {}", report.summary(), self._link(obj)), messages.SUCCESS)
                for warning in report.warnings:
                    self.message_user(request, warning, messages.WARNING)
                return HttpResponseRedirect(
                    reverse("admin:surveys_questionnaire_change", args=[quote(obj.pk)]))
        context = self._context(request, None, _("Import a questionnaire from XLSForm"),
                                form=form, errors=errors)
        return TemplateResponse(request, "admin/surveys/questionnaire/import_xlsform.html",
                                context)

    # The status board and call list are built in surveys/admin/board.py, which finds
    # the questionnaire itself; here only the permission to view is checked.

    def _check_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied

    def status_board_view(self, request, object_id):
        self._check_view(request)
        return board.status_board_view(self, request, object_id)

    def status_board_export_view(self, request, object_id):
        self._check_view(request)
        return board.status_board_export_view(self, request, object_id)

    def call_list_view(self, request, object_id):
        self._check_view(request)
        return board.call_list_view(self, request, object_id)
