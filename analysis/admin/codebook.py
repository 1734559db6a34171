"""Admin: the codebook of each questionnaire, and its import and export.

The list shows one questionnaire's codes in order (the order is edited in the list)
with the number of final codings each has; the extra screens upload or download
the codebook as .xlsx or as a REFI-QDA .qdc for NVivo, ATLAS.ti, MAXQDA and
QualCoder. Reading and writing the files are services
(:mod:`analysis.services.codebook`, :mod:`analysis.refiqda`), shared with the
``import_codebook`` and ``export_codebook`` commands.
"""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from analysis.models import Code, Coding
from analysis.refiqda import QDC_MIME, codebook_from_qdc, codebook_to_qdc
from analysis.services.codebook import (
    XLSX_MIME,
    codebook_export_xlsx,
    codebook_import_xlsx,
    keywords_split,
)
from surveys.models import Question, Questionnaire
from surveys.spreadsheets import UploadValidator

QUESTIONNAIRE_PARAM = "questionnaire__id__exact"


class KeywordsField(forms.CharField):
    """Keywords edited as text, one per line (or separated by “;”), stored as a list."""

    widget = forms.Textarea(attrs={"rows": 4, "cols": 60})

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(value)
        return value

    def to_python(self, value):
        return keywords_split(super().to_python(value) or "")


class CodeForm(forms.ModelForm):
    keywords = KeywordsField(
        label=capfirst(gettext_lazy("keywords")), required=False,
        help_text=gettext_lazy("One word or phrase per line, in any of the six languages. "
                               "Answers that contain one are offered to coders as suggestions; "
                               "they count only once a coder accepts them."))

    class Meta:
        model = Code
        fields = ["questionnaire", "key", "label", "definition", "question", "parent",
                  "exclusive_group", "order", "keywords"]


class CodebookUploadForm(forms.Form):
    questionnaire = forms.ModelChoiceField(
        label=capfirst(gettext_lazy("questionnaire")), queryset=Questionnaire.objects.all())
    file = forms.FileField(
        label=gettext_lazy("Codebook (.xlsx, .csv or REFI-QDA .qdc)"),
        validators=[UploadValidator(["xlsx", "csv", "qdc", "xml"])])
    replace = forms.BooleanField(
        label=gettext_lazy("Remove the codes that the file does not list"), required=False,
        help_text=gettext_lazy("Codes that coders have already applied are never removed: "
                               "the import is refused instead."))


class QuestionOfCodebookFilter(admin.SimpleListFilter):
    """The questions of the questionnaire chosen in the other filter (or “any question”)."""

    title = gettext_lazy("question")
    parameter_name = "question"

    def lookups(self, request, model_admin):
        chosen = request.GET.get(QUESTIONNAIRE_PARAM)
        if not chosen or not chosen.isdigit():
            return [("any", _("Any question"))]
        codes = Question.objects.filter(questionnaire_id=chosen).values_list("pk", "code")
        return [("any", _("Any question")), *[(str(pk), code) for pk, code in codes]]

    def queryset(self, request, queryset):
        if self.value() == "any":
            return queryset.filter(question__isnull=True)
        if self.value() and self.value().isdigit():
            return queryset.filter(question_id=self.value())
        return queryset


def _final_codings():
    rows = (Coding.objects.filter(code=OuterRef("pk"), final=True).order_by()
            .values("code").annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


@admin.register(Code)
class CodeAdmin(admin.ModelAdmin):
    form = CodeForm
    list_display = ["label", "key", "parent_key", "exclusive_group", "question_code",
                    "final_codings", "order"]
    list_display_links = ["label"]
    list_editable = ["order"]
    list_filter = ["questionnaire", QuestionOfCodebookFilter, "exclusive_group"]
    list_select_related = ["parent", "question", "questionnaire"]
    search_fields = ["key", "label", "definition"]
    list_per_page = 200

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_final=_final_codings())

    def get_readonly_fields(self, request, obj=None):
        return ["questionnaire"] if obj else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in ("parent", "question"):
            questionnaire_id = self._questionnaire_of_page(request)
            model = Code if db_field.name == "parent" else Question
            queryset = model.objects.select_related("questionnaire")
            if questionnaire_id:
                queryset = queryset.filter(questionnaire_id=questionnaire_id)
            kwargs["queryset"] = queryset
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _questionnaire_of_page(self, request):
        """The questionnaire of the code being edited, or the one the add page was given."""
        object_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match \
            else None
        if object_id:
            return (Code.objects.filter(pk=unquote(object_id))
                    .values_list("questionnaire_id", flat=True).first())
        chosen = request.GET.get("questionnaire", "")
        return int(chosen) if chosen.isdigit() else None

    def get_deleted_objects(self, objs, request):
        """Codes that coders have applied are protected: deleting one would delete codings."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        # A code's children go with it (CASCADE): look at the whole subtree.
        tree = Code.objects.filter(questionnaire__in={o.questionnaire_id for o in objs})
        children: dict[int | None, list[int]] = {}
        for pk, parent_id in tree.values_list("pk", "parent_id"):
            children.setdefault(parent_id, []).append(pk)
        doomed, stack = set(), [o.pk for o in objs]
        while stack:
            pk = stack.pop()
            if pk not in doomed:
                doomed.add(pk)
                stack.extend(children.get(pk, []))
        used = (Code.objects.filter(pk__in=doomed, codings__isnull=False)
                .annotate(n=Count("codings")).order_by("order"))
        protected = [*protected, *(
            ngettext("%(label)s (%(key)s): applied in %(n)s coding",
                     "%(label)s (%(key)s): applied in %(n)s codings", code.n)
            % {"label": code.label, "key": code.key, "n": code.n} for code in used)]
        return deleted, counts, perms_needed, protected

    @admin.display(description=gettext_lazy("parent"), ordering="parent__key")
    def parent_key(self, obj):
        return obj.parent.key if obj.parent else "—"

    @admin.display(description=gettext_lazy("question"), ordering="question__code")
    def question_code(self, obj):
        return obj.question.code if obj.question else _("any")

    @admin.display(description=gettext_lazy("final codings"), ordering="_final")
    def final_codings(self, obj):
        return obj._final

    def changelist_view(self, request, extra_context=None):
        chosen = request.GET.get(QUESTIONNAIRE_PARAM, "")
        questionnaire = Questionnaire.objects.filter(pk=chosen).first() \
            if chosen.isdigit() else None
        extra_context = {**(extra_context or {}), "chosen_questionnaire": questionnaire}
        return super().changelist_view(request, extra_context)

    # --- import and export ---

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("import/", wrap(self.import_view), name="analysis_code_import"),
            path("export/<int:questionnaire_id>.xlsx", wrap(self.export_xlsx_view),
                 name="analysis_code_export_xlsx"),
            path("export/<int:questionnaire_id>.qdc", wrap(self.export_qdc_view),
                 name="analysis_code_export_qdc"),
            *super().get_urls(),
        ]

    def _questionnaire(self, request, questionnaire_id) -> Questionnaire:
        if not self.has_view_permission(request):
            raise PermissionDenied
        questionnaire = Questionnaire.objects.filter(pk=questionnaire_id).first()
        if questionnaire is None:
            raise Http404(_("No questionnaire has this address."))
        return questionnaire

    def _download(self, content, content_type, filename):
        response = HttpResponse(content, content_type=content_type)
        # Questionnaire codes hold only letters, digits, "_", "-" and ".": safe in a header.
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    def export_xlsx_view(self, request, questionnaire_id):
        questionnaire = self._questionnaire(request, questionnaire_id)
        return self._download(codebook_export_xlsx(questionnaire=questionnaire), XLSX_MIME,
                              f"{questionnaire.code}-codebook.xlsx")

    def export_qdc_view(self, request, questionnaire_id):
        questionnaire = self._questionnaire(request, questionnaire_id)
        return self._download(codebook_to_qdc(questionnaire), QDC_MIME,
                              f"{questionnaire.code}-codebook.qdc")

    def import_view(self, request):
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        initial = {"questionnaire": request.GET.get("questionnaire")}
        form = CodebookUploadForm(request.POST or None, request.FILES or None, initial=initial)
        errors, warnings = [], []
        if request.method == "POST" and form.is_valid():
            questionnaire = form.cleaned_data["questionnaire"]
            replace = form.cleaned_data["replace"]
            if replace and not self.has_delete_permission(request):
                raise PermissionDenied
            upload = form.cleaned_data["file"]
            content = upload.read()
            if Path(upload.name).suffix.lower() in (".qdc", ".xml"):
                outcome = codebook_from_qdc(questionnaire=questionnaire, content=content,
                                            replace=replace)
            else:
                outcome = codebook_import_xlsx(questionnaire=questionnaire, source=content,
                                               filename=upload.name, replace=replace)
            if outcome.ok:
                self.message_user(request, outcome.summary(), messages.SUCCESS)
                for warning in outcome.warnings:
                    self.message_user(request, warning, messages.WARNING)
                url = reverse("admin:analysis_code_changelist")
                return HttpResponseRedirect(f"{url}?{QUESTIONNAIRE_PARAM}={questionnaire.pk}")
            errors = [*outcome.file_errors, *(str(p) for p in outcome.problems)]
            warnings = outcome.warnings
        context = {**self.admin_site.each_context(request), "opts": self.opts,
                   "title": _("Import a codebook"), "form": form, "errors": errors,
                   "warnings": warnings, "has_view_permission": True}
        return TemplateResponse(request, "admin/analysis/code/import.html", context)


# Reused by the coding screen to link a questionnaire's codebook.
def codebook_url(questionnaire_id: int) -> str:
    return f"{reverse('admin:analysis_code_changelist')}?{QUESTIONNAIRE_PARAM}={questionnaire_id}"

