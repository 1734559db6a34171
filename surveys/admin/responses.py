"""Admin for replies: the list, a reply's page with its versions, staff entry, exports.

Nothing here edits a reply in place. A reply that came by e-mail, fax or letter is
typed in through the staff entry screen, which validates it as the portal does and
records it with :func:`surveys.services.responses.response_save` as a new version;
the reply's page is read-only and shows every version, every file and (under
"History") every change. Nothing a State sent can be deleted from here. The entry
forms are in :mod:`.response_entry`, the list's filters in :mod:`.response_filters`.
"""

from __future__ import annotations

import uuid
from tempfile import TemporaryFile

from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from simple_history.admin import SimpleHistoryAdmin

from surveys.admin import reply_import
from surveys.languages import UN_LANGUAGES
from surveys.models import (
    Answer,
    Question,
    Questionnaire,
    Recipient,
    Response,
    ResponseVersion,
    Timing,
    timing_of,
)
from surveys.reply_form import (
    build_reply_form,
    questionnaire_layout,
)
from surveys.services import reply_export
from surveys.services.responses import ConcurrentEdit, form_initial, response_save
from surveys.translated import translated
from surveys.views.attachments import attachment_download

from .response_entry import STAFF_CHANNELS, ChooseRecipientForm, ReplyReceivedForm
from .response_filters import QUESTIONNAIRE_PARAM, AsOfFilter, TimingFilter, date_param

# Short words for a column; the filter explains them at length (Timing's labels).
TIMING_SHORT = {Timing.ON_TIME: gettext_lazy("on time"), Timing.LATE: gettext_lazy("late"),
                Timing.AFTER_CUTOFF: gettext_lazy("after cut-off"), Timing.NOT_RECEIVED: "—"}


# --- the admin ---------------------------------------------------------------------------------


def _version_count():
    rows = (ResponseVersion.objects.filter(response=OuterRef("pk")).order_by()
            .values("response").annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def _export_action(layout, file_format, description):
    def action(model_admin, request, queryset):
        return model_admin.export_selected(request, queryset, layout, file_format)

    action.__name__ = f"export_{layout}_{file_format}"
    return admin.action(description=description, permissions=["view"])(action)


@admin.register(Response)
class ResponseAdmin(SimpleHistoryAdmin):
    list_display = ["state_name", "questionnaire_code", "status", "channel", "received_on",
                    "timing_display", "version_count", "language_display", "entered_by"]
    list_display_links = ["state_name"]
    list_filter = [AsOfFilter, "recipient__questionnaire", "status", "channel", TimingFilter,
                   "recipient__state__region"]
    list_select_related = ["recipient__state", "recipient__questionnaire", "entered_by"]
    search_fields = ["recipient__state__name_en", "recipient__state__name_fr",
                     "recipient__state__name_es", "recipient__state__name_ru",
                     "recipient__state__name_zh", "recipient__state__name_ar",
                     "=recipient__state__iso3"]
    ordering = [F("received_on").desc(nulls_last=True), "recipient__state__name_en"]
    list_per_page = 200
    fieldsets = [
        (None, {"fields": [("state_name", "questionnaire_link"), ("status", "version"),
                           ("channel", "language_display"),
                           ("received_on", "timing_display"),
                           ("submitted_at", "entered_by")]}),
    ]
    readonly_fields = ["state_name", "questionnaire_link", "status", "version", "channel",
                       "language_display", "received_on", "timing_display", "submitted_at",
                       "entered_by"]
    actions = [
        _export_action(reply_export.WIDE, "xlsx",
                       gettext_lazy("Export selected replies (wide .xlsx)")),
        _export_action(reply_export.LONG, "xlsx",
                       gettext_lazy("Export selected replies (long .xlsx)")),
        _export_action(reply_export.WIDE, "csv",
                       gettext_lazy("Export selected replies (wide .csv)")),
        _export_action(reply_export.LONG, "csv",
                       gettext_lazy("Export selected replies (long .csv)")),
    ]
    object_history_template = "admin/surveys/response/object_history.html"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_versions=_version_count())

    # --- permissions: read-only here; entering a reply records a version ---

    def has_change_permission(self, request, obj=None):
        if obj is not None:
            return False  # a reply's page is read-only: a correction is a new version
        return super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False  # no edit ever deletes what a State sent

    def has_enter_permission(self, request, response: Response | None = None) -> bool:
        """Adding a first reply needs "add"; a new version of a reply needs "change"."""
        if response is not None and response.status == Response.Status.SUBMITTED:
            return request.user.has_perm("surveys.change_response")
        return self.has_add_permission(request)

    # --- columns ---

    @admin.display(description=gettext_lazy("State"), ordering="recipient__state__name_en")
    def state_name(self, obj):
        return obj.recipient.state.name_en

    @admin.display(description=gettext_lazy("questionnaire"),
                   ordering="recipient__questionnaire__code")
    def questionnaire_code(self, obj):
        return obj.recipient.questionnaire.code

    @admin.display(description=gettext_lazy("questionnaire"))
    def questionnaire_link(self, obj):
        questionnaire = obj.recipient.questionnaire
        url = reverse("admin:surveys_questionnaire_change", args=[quote(questionnaire.pk)])
        return format_html('<a href="{}">{}</a>', url, questionnaire)

    @admin.display(description=gettext_lazy("timing"))
    def timing_display(self, obj):
        return TIMING_SHORT[timing_of(obj.received_on, obj.recipient.questionnaire)]

    @admin.display(description=gettext_lazy("versions"), ordering="_versions")
    def version_count(self, obj):
        return obj._versions

    @admin.display(description=gettext_lazy("language"), ordering="language")
    def language_display(self, obj):
        return dict(UN_LANGUAGES).get(obj.language, obj.language)

    # --- pages ---

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("enter/", wrap(self.enter_view), name="surveys_response_enter"),
            path("import/", wrap(self.import_view), name="surveys_response_import"),
            path("export/", wrap(self.export_view), name="surveys_response_export"),
            path("attachment/<int:attachment_id>/", wrap(attachment_download),
                 name="surveys_response_attachment"),
            path("<path:object_id>/enter/", wrap(self.enter_version_view),
                 name="surveys_response_enter_version"),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        if not (self.has_add_permission(request)
                or request.user.has_perm("surveys.change_response")):
            raise PermissionDenied  # as enter_view: no redirect to a page that refuses
        url = reverse("admin:surveys_response_enter")
        return HttpResponseRedirect(f"{url}?{request.GET.urlencode()}" if request.GET else url)

    def changelist_view(self, request, extra_context=None):
        questionnaire_id = request.GET.get(QUESTIONNAIRE_PARAM, "")
        questionnaire = (Questionnaire.objects.filter(pk=questionnaire_id).first()
                         if questionnaire_id.isdigit() else None)
        as_of = date_param(request.GET.get("as_of"))
        export_query = {"questionnaire": questionnaire.pk, **({"as_of": as_of.isoformat()}
                                                              if as_of else {})} \
            if questionnaire else {}
        extra_context = {
            **(extra_context or {}),
            "as_of": as_of,
            "export_questionnaire": questionnaire,
            "exports": [
                (label, reverse("admin:surveys_response_export") + "?"
                 + urlencode({**export_query, "layout": layout, "format": file_format}))
                for layout, file_format, label in [
                    (reply_export.WIDE, "xlsx", _("wide .xlsx")),
                    (reply_export.LONG, "xlsx", _("long .xlsx")),
                    (reply_export.WIDE, "csv", _("wide .csv")),
                    (reply_export.LONG, "csv", _("long .csv"))]] if questionnaire else [],
            "enter_url": reverse("admin:surveys_response_enter")
            + (f"?{urlencode({'questionnaire': questionnaire.pk})}" if questionnaire else ""),
        }
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = self.get_object(request, unquote(object_id))
        if response is not None:
            extra_context = {**(extra_context or {}), **self._reply_context(request, response)}
        return super().change_view(request, object_id, form_url, extra_context)

    def _reply_context(self, request, response: Response) -> dict:
        """The answers, every version and the files of a reply, for its read-only page."""
        questionnaire = response.recipient.questionnaire
        language, fallback = get_language(), questionnaire.default_language
        questions = [q for _s, qs in questionnaire_layout(questionnaire) for q in qs]
        labels = [(q.code, translated(q.text, language, fallback) or q.code) for q in questions]
        answers = {a.question_id: a for a in response.answers.all()}
        current = [(code, label, answers[q.pk].text if q.pk in answers else "")
                   for q, (code, label) in zip(questions, labels, strict=True)]

        def version_rows(snapshot):
            known = [(code, label, (snapshot.get(code) or {}).get("text", ""))
                     for code, label in labels]
            extra = [(code, code, (item or {}).get("text", "")) for code, item in
                     snapshot.items() if code not in dict(labels)]
            return known + extra

        versions = [(version, version_rows(version.answers or {}))
                    for version in response.versions.select_related("submitted_by")
                    .order_by("-number")]
        recipient = response.recipient
        return {
            "answers": current,
            "versions": versions,
            "attachments": response.attachments.select_related("uploaded_by", "question"),
            "can_enter": self.has_enter_permission(request, response),
            "can_decline": (request.user.has_perm("surveys.change_recipient")
                            and recipient.declined_on is None),
            "recipient": recipient,
        }

    def history_view(self, request, object_id, extra_context=None):
        """The reply's own history, then every change to its answers."""
        records = (Answer.history.filter(response_id=unquote(object_id))
                   .select_related("history_user", "question")
                   .order_by("history_date", "history_id"))
        previous, changes = {}, []
        for record in records:
            before = previous.get(record.id, "")
            previous[record.id] = record.text
            if record.text != before or record.history_type == "-":
                changes.append((record, before))  # empty answers created blank are no news
        changes.reverse()
        extra_context = {**(extra_context or {}), "answer_changes": changes}
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied  # nothing is reverted: a correction is a new version
        return super().history_form_view(request, object_id, version_id, extra_context)

    # --- staff entry ---

    def _context(self, request, title, **extra):
        return {**self.admin_site.each_context(request), "opts": self.opts, "title": title,
                "has_view_permission": self.has_view_permission(request), **extra}

    def enter_view(self, request):
        """Step 1: the questionnaire and the State; then step 2, the reply itself."""
        if not (self.has_add_permission(request)
                or request.user.has_perm("surveys.change_response")):
            raise PermissionDenied
        params = request.POST if request.method == "POST" else request.GET
        questionnaire_id, recipient_id = params.get("questionnaire", ""), \
            params.get("recipient", "")
        questionnaire = None
        if questionnaire_id.isdigit():
            questionnaire = Questionnaire.objects.filter(pk=questionnaire_id).first()
        elif not questionnaire_id and Questionnaire.objects.count() == 1:
            questionnaire = Questionnaire.objects.first()
        if recipient_id.isdigit() and questionnaire is not None:
            recipient = (Recipient.objects.select_related("state", "questionnaire")
                         .filter(pk=recipient_id, questionnaire=questionnaire).first())
            if recipient is not None:
                response = Response.objects.filter(recipient=recipient).first()
                submitted = response is not None and response.status == Response.Status.SUBMITTED
                if submitted and request.method != "POST":
                    self.message_user(request, _(
                        "%(state)s has already replied: you are entering a new version of "
                        "its reply.") % {"state": recipient.state.name_en}, messages.INFO)
                    return HttpResponseRedirect(reverse("admin:surveys_response_enter_version",
                                                        args=[quote(response.pk)]))
                if not self.has_add_permission(request):
                    raise PermissionDenied
                # A POST here is a first reply, even if one arrived meanwhile (a double
                # press, another officer): response_save tells them apart.
                return self._entry(request, recipient, response, first=True)
        if recipient_id:
            self.message_user(request, _("Choose one of the questionnaire's recipients."),
                              messages.WARNING)
        form = ChooseRecipientForm(initial={"questionnaire": questionnaire},
                                   questionnaire=questionnaire)
        return TemplateResponse(request, "admin/surveys/response/enter_choose.html",
                                self._context(request, _("Enter a reply"), form=form,
                                              questionnaire=questionnaire))

    def enter_version_view(self, request, object_id):
        """A new version of a reply already received (an amendment, a correction)."""
        response = self.get_object(request, unquote(object_id))
        if response is None:
            raise Http404(_("No reply has this address."))
        if not self.has_enter_permission(request, response):
            raise PermissionDenied
        recipient = (Recipient.objects.select_related("state", "questionnaire")
                     .get(pk=response.recipient_id))
        return self._entry(request, recipient, response, first=False)

    def _entry(self, request, recipient: Recipient, response: Response | None, *, first: bool):
        questionnaire = recipient.questionnaire
        amending = (not first and response is not None
                    and response.status == Response.Status.SUBMITTED)
        # The questions in the language staff read, if the questionnaire has it.
        language = get_language()
        if language not in (questionnaire.languages or []):
            language = questionnaire.default_language
        answers_class = build_reply_form(questionnaire, language, enforce_required=True)
        initial = {
            "expected_version": response.version if response else 0,
            "submission_key": uuid.uuid4(),
            "language": response.language if amending else questionnaire.default_language,
            "channel": response.channel if amending and response.channel in STAFF_CHANNELS
            else None,
        }
        answers_initial = form_initial(response) if amending else {}
        form_action = ""
        if request.method == "POST":
            entry = ReplyReceivedForm(request.POST, request.FILES, initial=initial,
                                      questionnaire=questionnaire)
            answers = answers_class(request.POST, request.FILES, prefix="answer",
                                    initial=answers_initial)
        else:
            entry = ReplyReceivedForm(initial=initial, questionnaire=questionnaire)
            answers = answers_class(prefix="answer", initial=answers_initial)
        if amending:
            _keep_files_sent(answers, response)

        if request.method == "POST" and all([entry.is_valid(), answers.is_valid()]):
            data = entry.cleaned_data
            try:
                saved = response_save(
                    recipient=recipient, data=answers.cleaned_data, language=data["language"],
                    submit=True, channel=data["channel"], received_on=data["received_on"],
                    user=request.user,
                    expected_version=0 if first else data["expected_version"],
                    submission_key=data["submission_key"], original=data["original"],
                    note=data["note"])
            except ConcurrentEdit as exc:
                entry, form_action = self._after_concurrent_edit(request, recipient, exc,
                                                                 first=first)
            else:
                return self._entry_saved(request, saved, amending)

        title = (_("New version of the reply of %(state)s") if amending
                 else _("Reply of %(state)s")) % {"state": recipient.state.name_en}
        return TemplateResponse(request, "admin/surveys/response/enter.html", self._context(
            request, title, entry=entry, answers=answers, recipient=recipient,
            questionnaire=questionnaire, response=response, amending=amending,
            form_action=form_action))

    def _after_concurrent_edit(self, request, recipient, exc, *, first: bool):
        """Refuse the save and keep what was typed; a second save, made knowingly, records
        it after the version saved meanwhile (the original must be attached again).
        Returns the entry form to show and where it posts."""
        response = Response.objects.get(recipient=recipient)
        data = request.POST.copy()
        data["expected_version"] = str(response.version)
        data["submission_key"] = str(uuid.uuid4())
        again = ReplyReceivedForm(data, request.FILES, questionnaire=recipient.questionnaire)
        again.is_valid()
        for message in exc.messages:
            again.add_error(None, message)
        action = ""
        if first:
            # The reply now exists: what follows is a new version of it.
            if not self.has_enter_permission(request, response):
                again.add_error(None, _("What you typed is kept below; nothing was recorded."))
                return again, action
            action = reverse("admin:surveys_response_enter_version", args=[quote(response.pk)])
        again.add_error(None, _("What you typed is kept below. Saving it again (with the "
                                "original attached again) records it as version %(n)s, after "
                                "the one saved meanwhile.") % {"n": response.version + 1})
        return again, action

    def _entry_saved(self, request, saved, amending):
        response, version = saved.response, saved.version
        state = response.recipient.state.name_en
        if saved.duplicate:
            self.message_user(request, _("%(state)s: this entry had already been recorded as "
                                         "version %(n)s.") % {"state": state, "n": version.number},
                              messages.INFO)
        else:
            change = _("Version %(n)s entered (%(channel)s, received %(date)s).") % {
                "n": version.number, "channel": version.get_channel_display(),
                "date": version.received_on.isoformat()}
            if amending:
                self.log_change(request, response, change)
            else:
                self.log_addition(request, response, change)
            self.message_user(request, _("%(state)s: version %(n)s recorded.")
                              % {"state": state, "n": version.number}, messages.SUCCESS)
            timing = timing_of(response.received_on, response.recipient.questionnaire)
            if timing == Timing.AFTER_CUTOFF:
                self.message_user(request, _("The reply arrived after the report's cut-off: it "
                                             "is kept, and not counted in the report."),
                                  messages.WARNING)
        return HttpResponseRedirect(reverse("admin:surveys_response_change",
                                            args=[quote(response.pk)]))

    # --- import and exports ---

    def import_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        # Looked up at request time: surveys/admin/reply_import.py is built separately.
        return reply_import.reply_import_view(self, request)

    def export_view(self, request):
        """Every reply to a questionnaire (received by ``as_of``), wide or long."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        questionnaire_id = request.GET.get("questionnaire", "")
        if not questionnaire_id.isdigit():
            raise Http404(_("Choose a questionnaire."))
        questionnaire = get_object_or_404(Questionnaire, pk=questionnaire_id)
        layout, file_format = request.GET.get("layout"), request.GET.get("format")
        if layout not in reply_export.LAYOUTS or file_format not in reply_export.FORMATS:
            raise Http404(_("Unknown export."))
        as_of = date_param(request.GET.get("as_of"))
        return _export_response(questionnaire=questionnaire, layout=layout,
                                file_format=file_format, as_of=as_of)

    def export_selected(self, request, queryset, layout, file_format):
        questionnaires = list(queryset.order_by().values_list("recipient__questionnaire",
                                                              flat=True).distinct())
        if len(questionnaires) != 1:
            self.message_user(request, _("Select the replies to one questionnaire: a table has "
                                         "one column per question."), messages.ERROR)
            return None
        submitted = queryset.filter(status=Response.Status.SUBMITTED)
        if not submitted.exists():
            self.message_user(request, _("None of the selected replies has been submitted: "
                                         "drafts are not exported."), messages.WARNING)
            return None
        return _export_response(
            questionnaire=Questionnaire.objects.get(pk=questionnaires[0]), layout=layout,
            file_format=file_format, as_of=date_param(request.GET.get("as_of")),
            responses=submitted)


def _keep_files_sent(answers, response: Response) -> None:
    """In a new version, a file question already answered may stay as it was."""
    sent = set(response.answers.filter(question__type=Question.Type.FILE)
               .exclude(text="").values_list("question__code", flat=True))
    for code in sent:
        if code in answers.fields:
            answers.fields[code].required = False


def _export_response(*, questionnaire, layout, file_format, as_of=None, responses=None):
    table = reply_export.replies_table(layout=layout, questionnaire=questionnaire, as_of=as_of,
                                       responses=responses)
    filename = reply_export.export_filename(questionnaire=questionnaire, layout=layout,
                                            file_format=file_format, as_of=as_of)
    if file_format == "csv":
        response = StreamingHttpResponse(reply_export.csv_chunks(table),
                                         content_type=reply_export.CSV_MIME)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    # Written to a temporary file, not memory: write-only mode keeps the rows out of
    # memory too, so a questionnaire of any size exports in constant memory.
    handle = TemporaryFile()  # noqa: SIM115 - FileResponse closes it once sent
    reply_export.write_xlsx(table, handle)
    handle.seek(0)
    return FileResponse(handle, as_attachment=True, filename=filename,
                        content_type=reply_export.XLSX_MIME)

