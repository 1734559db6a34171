"""Admin for replies: the list, a reply's page with its versions, staff entry, exports.

Nothing here edits a reply in place. A reply that came by e-mail, fax or letter is
typed in through the staff entry screen, which validates it as the portal does and
records it with :func:`surveys.services.responses.response_save` as a new version;
the reply's page is read-only and shows every version, every file and (under
"History") every change. Nothing a State sent can be deleted from here.
"""

from __future__ import annotations

import datetime
import uuid
from tempfile import TemporaryFile

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.core.validators import FileExtensionValidator
from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
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
    ALLOWED_EXTENSIONS,
    build_reply_form,
    questionnaire_layout,
    validate_upload_size,
)
from surveys.services import reply_export
from surveys.services.responses import ConcurrentEdit, form_initial, response_save
from surveys.translated import translated
from surveys.views.attachments import attachment_download

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
STAFF_CHANNELS = [Response.Channel.EMAIL, Response.Channel.FAX, Response.Channel.LETTER]
# A fax or a letter is always a document; an e-mail's reply may be in its body.
DOCUMENT_CHANNELS = {Response.Channel.FAX, Response.Channel.LETTER}
QUESTIONNAIRE_PARAM = "recipient__questionnaire__id__exact"
# Short words for a column; the filter explains them at length (Timing's labels).
TIMING_SHORT = {Timing.ON_TIME: gettext_lazy("on time"), Timing.LATE: gettext_lazy("late"),
                Timing.AFTER_CUTOFF: gettext_lazy("after cut-off"), Timing.NOT_RECEIVED: "—"}


def _date_param(value) -> datetime.date | None:
    try:
        return parse_date(value or "")
    except ValueError:
        return None


# --- forms -------------------------------------------------------------------------------------


class ChooseRecipientForm(forms.Form):
    """Step 1 of staff entry: which questionnaire, which State (one of its recipients)."""

    questionnaire = forms.ModelChoiceField(label=gettext_lazy("Questionnaire"),
                                           queryset=Questionnaire.objects.all())
    recipient = forms.ModelChoiceField(label=gettext_lazy("State"), required=False,
                                       queryset=Recipient.objects.none())

    def __init__(self, *args, questionnaire: Questionnaire | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if questionnaire is not None:
            field = self.fields["recipient"]
            field.required = True
            field.queryset = (questionnaire.recipients.select_related("state")
                              .annotate(reply_status=F("response__status"),
                                        reply_version=F("response__version"))
                              .order_by("state__name_en"))
            field.label_from_instance = self._label
            field.choices = list(field.choices)  # one query, read once

    @staticmethod
    def _label(recipient) -> str:
        name = recipient.state.name_en
        if recipient.reply_status == Response.Status.SUBMITTED:
            return _("%(state)s — replied (version %(n)s)") % {"state": name,
                                                               "n": recipient.reply_version}
        if recipient.declined_on:
            return _("%(state)s — declined") % {"state": name}
        return name


class ReplyReceivedForm(forms.Form):
    """How the reply arrived; the answers themselves are the portal's form beside it."""

    channel = forms.ChoiceField(label=gettext_lazy("Received by"), widget=forms.RadioSelect,
                                choices=[(c.value, c.label) for c in STAFF_CHANNELS])
    received_on = forms.DateField(
        label=gettext_lazy("Date received"), widget=DATE_INPUT,
        help_text=gettext_lazy("The date on the fax or the date stamp of the letter, not today's "
                               "date: it decides whether the reply was on time."))
    date_confirmed = forms.BooleanField(label=gettext_lazy("This date is right"),
                                        required=False)
    language = forms.ChoiceField(label=gettext_lazy("Language of the original"))
    original = forms.FileField(
        label=gettext_lazy("The original (scan or file)"), required=False,
        validators=[FileExtensionValidator(ALLOWED_EXTENSIONS), validate_upload_size],
        widget=forms.ClearableFileInput(
            attrs={"accept": ",".join(f".{ext}" for ext in ALLOWED_EXTENSIONS)}),
        help_text=gettext_lazy("PDF, Word, OpenDocument or an image. Required for a fax or a "
                               "letter."))
    note = forms.CharField(
        label=gettext_lazy("Note"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text=gettext_lazy("E.g. the reference of the note verbale, or why this version "
                               "was entered."))
    expected_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    submission_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, questionnaire: Questionnaire, **kwargs):
        super().__init__(*args, **kwargs)
        self.questionnaire = questionnaire
        self.asks_date_confirmation = False
        names = dict(UN_LANGUAGES)
        self.fields["language"].choices = [(code, names.get(code, code))
                                           for code in questionnaire.languages or []]

    def clean_received_on(self):
        received_on = self.cleaned_data["received_on"]
        if received_on > timezone.localdate():
            raise forms.ValidationError(_("The date received cannot be in the future."))
        return received_on

    def clean(self):
        cleaned = super().clean()
        received_on, sent_on = cleaned.get("received_on"), self.questionnaire.sent_on
        if received_on and sent_on and received_on < sent_on and not cleaned.get("date_confirmed"):
            # Most likely a typing slip (2007 for 2008): ask once, then accept.
            self.asks_date_confirmation = True
            self.add_error("received_on", _(
                "This is before the questionnaire was sent (%(sent)s). Check the date; if it "
                "is right, tick “This date is right” and save again.")
                % {"sent": sent_on.isoformat()})
        if cleaned.get("channel") in DOCUMENT_CHANNELS and not cleaned.get("original") and \
                "original" not in self.errors:
            self.add_error("original", _("Attach the scan of the fax or of the letter."))
        return cleaned


# --- list filters ------------------------------------------------------------------------------


class AsOfFilter(admin.SimpleListFilter):
    """Replies received by the end of a day: the list as it stood then.

    The date is typed in the box above the list (``?as_of=YYYY-MM-DD``); this side
    panel offers the deadline and the cut-off of the questionnaire chosen.
    """

    title = gettext_lazy("date received")
    parameter_name = "as_of"

    def lookups(self, request, model_admin):
        questionnaire_id = request.GET.get(QUESTIONNAIRE_PARAM)
        questionnaire = Questionnaire.objects.filter(pk=questionnaire_id).first() \
            if str(questionnaire_id or "").isdigit() else None
        choices = []
        if questionnaire and questionnaire.deadline:
            choices.append((questionnaire.deadline.isoformat(), _("By the deadline (%(date)s)")
                            % {"date": questionnaire.deadline.isoformat()}))
        if questionnaire and questionnaire.cutoff:
            choices.append((questionnaire.cutoff.isoformat(), _("By the cut-off (%(date)s)")
                            % {"date": questionnaire.cutoff.isoformat()}))
        value = self.value()
        if value and value not in dict(choices) and _date_param(value):
            choices.append((value, _("By %(date)s") % {"date": value}))
        return choices

    def has_output(self):
        return True

    def choices(self, changelist):
        yield {"selected": self.value() is None, "display": _("Any date"),
               "query_string": changelist.get_query_string(remove=[self.parameter_name])}
        for lookup, title in self.lookup_choices:
            yield {"selected": self.value() == lookup, "display": title,
                   "query_string": changelist.get_query_string({self.parameter_name: lookup})}

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        day = _date_param(self.value())
        if day is None:
            raise IncorrectLookupParameters(_("Give the date as YYYY-MM-DD."))
        return queryset.filter(received_on__lte=day)


class TimingFilter(admin.SimpleListFilter):
    """By the deadline, after it but by the cut-off, after the cut-off: as ``timing_of``."""

    title = gettext_lazy("timing")
    parameter_name = "timing"

    def lookups(self, request, model_admin):
        return list(Timing.choices)

    def queryset(self, request, queryset):
        deadline = "recipient__questionnaire__deadline"
        cutoff = "recipient__questionnaire__cutoff"
        received = Q(received_on__isnull=False)
        after_deadline = received & Q(**{f"{deadline}__isnull": False,
                                         "received_on__gt": F(deadline)})
        conditions = {
            Timing.ON_TIME: received & (Q(**{f"{deadline}__isnull": True})
                                        | Q(received_on__lte=F(deadline))),
            Timing.LATE: after_deadline & (Q(**{f"{cutoff}__isnull": True})
                                           | Q(received_on__lte=F(cutoff))),
            Timing.AFTER_CUTOFF: after_deadline & Q(**{f"{cutoff}__isnull": False,
                                                       "received_on__gt": F(cutoff)}),
            Timing.NOT_RECEIVED: Q(received_on__isnull=True),
        }
        condition = conditions.get(self.value())
        return queryset if condition is None else queryset.filter(condition)


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
        as_of = _date_param(request.GET.get("as_of"))
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
        as_of = _date_param(request.GET.get("as_of"))
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
            file_format=file_format, as_of=_date_param(request.GET.get("as_of")),
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

