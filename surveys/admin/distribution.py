"""Admin for distribution: recipients, waves (dispatches) and their messages.

The screens stay thin: every action calls a service (:mod:`surveys.services.recipients`,
``dispatch``, ``reminders``, ``outbox``) and says what it queued or prepared and who
was left out. Nothing here talks to a mail server; e-mail bodies are edited in
post_office's own "Email templates" admin.
"""

from __future__ import annotations

from collections import defaultdict

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from surveys.models import Contact, Dispatch, Message, Questionnaire, Recipient, State
from surveys.services.dispatch import dispatch_create, dispatch_mark_sent, skipped_summary
from surveys.services.outbox import (
    Delivery,
    dispatches_with_counts,
    messages_requeue,
    messages_with_status,
)
from surveys.services.recipients import (
    STATE_GROUPS,
    recipients_add,
    recipients_decline,
    recipients_regenerate_links,
    replied_exists,
)
from surveys.services.reminders import recipient_remind
from surveys.views.letters import dispatch_letters_view

MAX_NAMES = 25  # States named in a message before "and N more"

# --- forms -------------------------------------------------------------------------------------


class WaveForm(forms.Form):
    channels = forms.MultipleChoiceField(
        label=gettext_lazy("Send by"), choices=Message.Channel.choices,
        widget=forms.CheckboxSelectMultiple, initial=[Message.Channel.EMAIL, Message.Channel.FAX])
    include_copies = forms.BooleanField(
        label=gettext_lazy("Copy to the focal points"), required=False, initial=True)


class DeclineForm(forms.Form):
    on = forms.DateField(label=gettext_lazy("Declined on"), initial=timezone.localdate,
                         widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=gettext_lazy("Reason given"), required=False,
                           widget=forms.Textarea(attrs={"rows": 3, "cols": 60}))


class ConfirmForm(forms.Form):
    """Nothing to fill in: the page only asks to confirm."""


class MarkSentForm(forms.Form):
    at = forms.DateTimeField(
        label=gettext_lazy("Sent at"), initial=lambda: timezone.localtime().replace(
            second=0, microsecond=0).strftime("%Y-%m-%dT%H:%M"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                   format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        help_text=gettext_lazy("The time on the fax machine's transmission log, or when the "
                               "letters went to the mail room."))


class AddRecipientsForm(forms.Form):
    SCOPES = [("all", gettext_lazy("All 195 States (193 Member States and 2 observer States)")),
              ("region", gettext_lazy("The States of a region")),
              ("group", gettext_lazy("The States of a group")),
              ("states", gettext_lazy("These States"))]

    questionnaire = forms.ModelChoiceField(label=gettext_lazy("Questionnaire"),
                                           queryset=Questionnaire.objects.all())
    scope = forms.ChoiceField(label=gettext_lazy("Add"), choices=SCOPES,
                              widget=forms.RadioSelect, initial="all")
    region = forms.ChoiceField(label=gettext_lazy("Region"), required=False)
    group = forms.ChoiceField(
        label=gettext_lazy("Group"), required=False,
        choices=[("", "—")] + [(key, label) for key, (label, _q) in STATE_GROUPS.items()])
    states = forms.ModelMultipleChoiceField(
        label=gettext_lazy("States"), required=False, queryset=State.objects.all(),
        widget=forms.SelectMultiple(attrs={"size": 12}),
        help_text=gettext_lazy("Hold Ctrl (Cmd on a Mac) to choose several."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        regions = State.objects.order_by("region").values_list("region", flat=True).distinct()
        self.fields["region"].choices = [("", "—")] + [(r, r) for r in regions]

    def clean(self):
        data = super().clean()
        scope = data.get("scope")
        if scope in ("region", "group", "states") and not data.get(scope):
            self.add_error(scope, _("Choose at least one."))
        return data


# --- helpers -----------------------------------------------------------------------------------


def _names(states, limit: int = MAX_NAMES) -> str:
    names = sorted(str(s) for s in states)
    if len(names) > limit:
        return ", ".join(names[:limit]) + " " + _("and %(n)s more") % {"n": len(names) - limit}
    return ", ".join(names)


def _by_questionnaire(queryset):
    groups = defaultdict(list)
    for recipient in queryset.select_related("questionnaire"):
        groups[recipient.questionnaire].append(recipient)
    return groups


def _counts_text(dispatch) -> str:
    channel_words = {
        Message.Channel.EMAIL: lambda n: ngettext("%(n)s e-mail queued", "%(n)s e-mails queued",
                                                  n),
        Message.Channel.FAX: lambda n: ngettext("%(n)s fax ready to send",
                                                "%(n)s faxes ready to send", n),
        Message.Channel.POST: lambda n: ngettext("%(n)s letter ready to post",
                                                 "%(n)s letters ready to post", n),
    }
    parts = [channel_words[channel](n) % {"n": n} for channel, n in dispatch.counts.items()]
    return ", ".join(parts)


# --- recipients --------------------------------------------------------------------------------


class ReplyFilter(admin.SimpleListFilter):
    title = gettext_lazy("reply")
    parameter_name = "reply"

    def lookups(self, request, model_admin):
        return [("replied", _("Replied")), ("declined", _("Declined")),
                ("waiting", _("Not yet"))]

    def queryset(self, request, queryset):
        if self.value() == "replied":
            return queryset.filter(replied=True)
        if self.value() == "declined":
            return queryset.filter(declined_on__isnull=False)
        if self.value() == "waiting":
            return queryset.filter(replied=False, declined_on__isnull=True)
        return queryset


@admin.register(Recipient)
class RecipientAdmin(admin.ModelAdmin):
    list_display = ["state", "questionnaire_code", "addressee_name", "invited_at", "reminder_count",
                    "has_replied", "declined_on", "link_status"]
    list_filter = ["questionnaire", "state__region", ReplyFilter]
    search_fields = ["state__name_en", "state__name_fr", "state__name_es", "state__name_ru",
                     "state__name_zh", "state__name_ar", "=state__iso3"]
    list_select_related = ["state", "questionnaire", "addressee"]
    list_per_page = 200
    actions = ["send_invitation", "remind_now", "regenerate_links", "mark_declined"]
    fields = ["questionnaire", "state", "addressee", "copies", ("declined_on", "decline_note"),
              ("invited_at", "reminder_count", "last_reminded_at"),
              ("token_created_at", "link_revoked")]
    readonly_fields = ["questionnaire", "state", "invited_at", "reminder_count",
                       "last_reminded_at", "token_created_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(replied=replied_exists())

    def has_add_permission(self, request):
        return False  # recipients are added by questionnaire: see "Add recipients"

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is not None:
            # Only this State's people can be its addressee or receive copies.
            contacts = Contact.objects.filter(state=obj.state)
            form.base_fields["addressee"].queryset = contacts
            form.base_fields["copies"].widget = forms.CheckboxSelectMultiple()
            form.base_fields["copies"].queryset = contacts  # after the widget: sets its choices
        return form

    @admin.display(description=gettext_lazy("questionnaire"),
                   ordering="questionnaire__code")
    def questionnaire_code(self, obj):
        return obj.questionnaire.code

    @admin.display(description=gettext_lazy("addressee"), ordering="addressee__name")
    def addressee_name(self, obj):
        return obj.addressee.addressee if obj.addressee else "—"

    @admin.display(description=gettext_lazy("replied"), boolean=True, ordering="replied")
    def has_replied(self, obj):
        return obj.replied

    @admin.display(description=gettext_lazy("personal link"))
    def link_status(self, obj):
        if obj.link_revoked:
            return _("revoked")
        if obj.token_created_at:
            return _("active since %(date)s") % {
                "date": timezone.localtime(obj.token_created_at).date().isoformat()}
        return _("active")

    # --- actions ---

    def _form_page(self, request, queryset, form, *, title, intro, submit, action, warning=""):
        context = {**self.admin_site.each_context(request), "opts": self.opts,
                   "title": title, "intro": intro, "warning": warning, "form": form,
                   "submit": submit, "action": action, "queryset": queryset,
                   "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
                   "select_across": request.POST.get("select_across", "0"),
                   "states": _names(r.state for r in queryset.select_related("state"))}
        return TemplateResponse(request, "admin/surveys/recipient/action_form.html", context)

    @admin.action(description=gettext_lazy("Send invitation (e-mail + fax)"),
                  permissions=["change"])
    def send_invitation(self, request, queryset):
        form = WaveForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return self._form_page(
                request, queryset, form, title=_("Send the invitation"),
                intro=_("One message per State and channel goes to the addressee, and a copy to "
                        "each focal point if you wish. E-mails wait in the outbox and are "
                        "delivered within minutes; faxes and letters are prepared for printing "
                        "from the wave's page."),
                submit=_("Send the invitation"), action="send_invitation")
        for questionnaire, recipients in _by_questionnaire(queryset).items():
            dispatch = dispatch_create(
                questionnaire=questionnaire, kind=Dispatch.Kind.INVITATION,
                channels=form.cleaned_data["channels"], recipients=recipients,
                include_copies=form.cleaned_data["include_copies"], user=request.user)
            self._report_wave(request, dispatch)
            if questionnaire.status == Questionnaire.Status.DRAFT:
                self.message_user(request, _("%(code)s is still a draft: open it so that the "
                                             "portal takes replies and reminders go out.")
                                  % {"code": questionnaire.code}, messages.WARNING)
        return None

    def _report_wave(self, request, dispatch):
        url = reverse("admin:surveys_dispatch_change", args=[dispatch.pk])
        self.message_user(request, format_html(
            '{}: <a href="{}">{}</a> — {} ({}).', dispatch.questionnaire.code, url,
            dispatch.get_kind_display(), _counts_text(dispatch) or _("no message"),
            ngettext("%(n)s State", "%(n)s States", dispatch.reached) % {"n": dispatch.reached}),
            messages.SUCCESS if dispatch.reached else messages.WARNING)
        for line in skipped_summary(dispatch.skipped):
            self.message_user(request, _("Not sent — %(line)s") % {"line": line},
                              messages.WARNING)

    @admin.action(description=gettext_lazy("Remind now (e-mail)"), permissions=["change"])
    def remind_now(self, request, queryset):
        outcome = recipient_remind(recipients=queryset, user=request.user)
        for dispatch in outcome.dispatches:
            self._report_wave(request, dispatch)
        by_reason = defaultdict(list)
        for item in outcome.skipped:
            by_reason[item.reason].append(item.recipient.state)
        for reason, states in by_reason.items():
            self.message_user(request, _("No reminder — %(reason)s: %(states)s.")
                              % {"reason": reason, "states": _names(states)}, messages.WARNING)
        if not outcome.dispatches and not outcome.skipped:
            self.message_user(request, _("Nobody to remind."), messages.WARNING)

    @admin.action(description=gettext_lazy("Regenerate personal link"), permissions=["change"])
    def regenerate_links(self, request, queryset):
        if "apply" not in request.POST:
            return self._form_page(
                request, queryset, ConfirmForm(), title=_("Regenerate personal links"),
                intro=_("Each State below gets a new personal link."),
                warning=_("The links sent so far stop working at once, and a draft reply "
                          "stays with the State but is reached only through the new link. "
                          "The new links are shown once, on the next page: send them to the "
                          "States (a new wave does so)."),
                submit=_("Regenerate the links"), action="regenerate_links")
        links = recipients_regenerate_links(recipients=queryset.select_related("state",
                                                                               "questionnaire"))
        response = TemplateResponse(request, "admin/surveys/recipient/new_links.html", {
            **self.admin_site.each_context(request), "opts": self.opts,
            "title": _("New personal links"), "links": links})
        add_never_cache_headers(response)  # shown once: never kept by a browser or proxy
        return response

    @admin.action(description=gettext_lazy("Mark as declined"), permissions=["change"])
    def mark_declined(self, request, queryset):
        form = DeclineForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return self._form_page(
                request, queryset, form, title=_("Mark as declined"),
                intro=_("These States said they will not reply: they get no more reminders."),
                submit=_("Mark as declined"), action="mark_declined")
        count = recipients_decline(recipients=queryset, **form.cleaned_data)
        self.message_user(request, ngettext("%(n)s State marked as declined.",
                                            "%(n)s States marked as declined.", count)
                          % {"n": count}, messages.SUCCESS)
        return None

    # --- adding recipients ---

    def get_urls(self):
        return [path("add-to-questionnaire/", self.admin_site.admin_view(self.add_view_bulk),
                     name="surveys_recipient_add_bulk"),
                *super().get_urls()]

    def add_view_bulk(self, request):
        """Add the States that receive a questionnaire: all, a region, a group or a list."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        form = AddRecipientsForm(request.POST or None,
                                 initial={"questionnaire": request.GET.get("questionnaire")})
        if request.method == "POST" and form.is_valid():
            data, scope = form.cleaned_data, form.cleaned_data["scope"]
            outcome = recipients_add(
                questionnaire=data["questionnaire"],
                states=data["states"] if scope == "states" else None,
                region=data["region"] if scope == "region" else None,
                group=data["group"] if scope == "group" else None)
            code = data["questionnaire"].code
            self.message_user(request, _(
                "%(code)s: %(created)s States added (%(already)s were already recipients); "
                "%(copies)s copies to focal points.") % {
                "code": code, "created": outcome.created, "already": outcome.already,
                "copies": outcome.copies}, messages.SUCCESS)
            if outcome.without_addressee:
                self.message_user(request, _(
                    "No Permanent Representative or mission among the contacts of: %(states)s. "
                    "Add one, then choose it as the addressee.")
                    % {"states": _names(outcome.without_addressee)}, messages.WARNING)
            url = reverse("admin:surveys_recipient_changelist")
            return HttpResponseRedirect(
                f"{url}?{urlencode({'questionnaire__id__exact': data['questionnaire'].pk})}")
        context = {**self.admin_site.each_context(request), "opts": self.opts,
                   "title": _("Add recipients"), "form": form}
        return TemplateResponse(request, "admin/surveys/recipient/add_bulk.html", context)


# --- dispatches (waves) ------------------------------------------------------------------------


def _contact_name(message) -> str:
    return message.contact.addressee if message.contact else "—"


def _delivery_label(obj) -> str:
    label = dict(Delivery.choices).get(obj.delivery_status, obj.delivery_status)
    if obj.delivery_status in (Delivery.QUEUED, Delivery.RETRYING) and obj.delivery_attempts:
        return _("%(label)s (%(n)s attempts)") % {"label": label, "n": obj.delivery_attempts}
    return str(label)


@admin.register(Dispatch)
class DispatchAdmin(admin.ModelAdmin):
    list_display = ["__str__", "questionnaire", "kind", "channel_list", "sent_on", "messages_total",
                    "sent", "queued", "ready", "failed", "created_by"]
    list_filter = ["kind", "questionnaire"]
    list_select_related = ["questionnaire", "created_by"]
    date_hierarchy = "created_at"
    fieldsets = [
        (None, {"fields": ["questionnaire", "kind", "channel_list", "include_copies",
                           "scheduled_rule", ("created_at", "created_by"), "sent_on",
                           ("messages_total", "sent", "queued", "ready", "failed"), "note"]}),
        (gettext_lazy("Messages"), {"fields": ["message_table"]}),
    ]
    readonly_fields = ["questionnaire", "kind", "channel_list", "include_copies",
                       "scheduled_rule", "created_at", "created_by", "sent_on", "messages_total",
                       "sent", "queued", "ready", "failed", "message_table"]
    change_form_template = "admin/surveys/dispatch/change_form.html"

    def get_queryset(self, request):
        return dispatches_with_counts(super().get_queryset(request))

    def has_add_permission(self, request):
        return False  # waves are sent from the recipients' list

    def has_delete_permission(self, request, obj=None):
        return False  # a wave is history: its e-mails may already be out

    @admin.display(description=gettext_lazy("channels"))
    def channel_list(self, obj):
        labels = dict(Message.Channel.choices)
        return ", ".join(str(labels.get(c, c)) for c in obj.channels)

    @admin.display(description=gettext_lazy("messages"), ordering="n_messages")
    def messages_total(self, obj):
        return obj.n_messages

    @admin.display(description=gettext_lazy("sent"), ordering="n_sent")
    def sent(self, obj):
        return obj.n_sent

    @admin.display(description=gettext_lazy("queued"), ordering="n_queued")
    def queued(self, obj):
        if obj.n_retrying:
            return _("%(n)s (%(retrying)s retrying)") % {"n": obj.n_queued + obj.n_retrying,
                                                         "retrying": obj.n_retrying}
        return obj.n_queued

    @admin.display(description=gettext_lazy("ready to fax or post"), ordering="n_ready")
    def ready(self, obj):
        return obj.n_ready

    @admin.display(description=gettext_lazy("failed"), ordering="n_failed")
    def failed(self, obj):
        if obj.n_failed:
            url = reverse("admin:surveys_message_changelist")
            query = urlencode({"dispatch__id__exact": obj.pk, "delivery": Delivery.FAILED})
            return format_html('<a href="{}?{}">{}</a>', url, query, obj.n_failed)
        return 0

    @admin.display(description=gettext_lazy("messages of this wave"))
    def message_table(self, obj):
        # A read-only table rather than an inline formset: a wave to 195 States has some
        # 600 messages, more form fields than Django accepts in one request.
        rows = (messages_with_status(obj.messages.all())
                .select_related("recipient__state", "contact")
                .order_by("recipient__state__name_en", "-role", "channel"))
        return render_to_string("admin/surveys/dispatch/message_table.html", {
            "rows": [(m, _delivery_label(m), _contact_name(m)) for m in rows]})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "paper_channels": [
            (c, label) for c, label in Message.Channel.choices if c != Message.Channel.EMAIL]}
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:dispatch_id>/letters/<str:channel>/", wrap(dispatch_letters_view),
                 name="surveys_dispatch_letters"),
            path("<path:object_id>/mark-sent/<str:channel>/", wrap(self.mark_sent_view),
                 name="surveys_dispatch_mark_sent"),
            *super().get_urls(),
        ]

    def mark_sent_view(self, request, object_id, channel):
        """Record when the wave's faxes (or letters) went out."""
        dispatch = self.get_object(request, unquote(object_id))
        if dispatch is None:
            raise Http404
        if not self.has_change_permission(request, dispatch):
            raise PermissionDenied
        if channel not in (Message.Channel.FAX, Message.Channel.POST):
            raise Http404
        form = MarkSentForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            count = dispatch_mark_sent(dispatch=dispatch, channel=channel,
                                       at=form.cleaned_data["at"])
            self.message_user(request, ngettext("%(n)s message marked as sent.",
                                                "%(n)s messages marked as sent.", count)
                              % {"n": count}, messages.SUCCESS if count else messages.WARNING)
            return HttpResponseRedirect(reverse("admin:surveys_dispatch_change",
                                                args=[dispatch.pk]))
        label = dict(Message.Channel.choices)[channel]
        context = {**self.admin_site.each_context(request), "opts": self.opts,
                   "original": dispatch, "title": _("Mark as sent: %(channel)s")
                   % {"channel": label}, "form": form,
                   "ready": dispatch.messages.filter(channel=channel,
                                                     status=Message.Status.READY).count()}
        return TemplateResponse(request, "admin/surveys/dispatch/mark_sent.html", context)


# --- messages ----------------------------------------------------------------------------------


class DeliveryFilter(admin.SimpleListFilter):
    title = gettext_lazy("status")
    parameter_name = "delivery"

    def lookups(self, request, model_admin):
        return Delivery.choices

    def queryset(self, request, queryset):
        if self.value() in Delivery.values:
            return queryset.filter(delivery_status=self.value())
        return queryset


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["state", "channel", "role", "delivery", "attempts", "problem", "address",
                    "contact_name", "language", "delivered", "dispatch", "outbox_email"]
    list_filter = ["channel", DeliveryFilter, "role", "dispatch__kind", "dispatch__questionnaire"]
    search_fields = ["recipient__state__name_en", "address", "contact__name", "subject"]
    list_select_related = ["recipient__state", "dispatch__questionnaire", "contact"]
    list_per_page = 200
    actions = ["requeue"]

    def get_queryset(self, request):
        return messages_with_status(super().get_queryset(request))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("State"), ordering="recipient__state__name_en")
    def state(self, obj):
        return obj.recipient.state

    @admin.display(description=gettext_lazy("to"), ordering="contact__name")
    def contact_name(self, obj):
        return _contact_name(obj)

    @admin.display(description=gettext_lazy("status"), ordering="delivery_status")
    def delivery(self, obj):
        return _delivery_label(obj)

    @admin.display(description=gettext_lazy("attempts"), ordering="delivery_attempts")
    def attempts(self, obj):
        return obj.delivery_attempts

    @admin.display(description=gettext_lazy("error"))
    def problem(self, obj):
        return obj.delivery_error or ""

    @admin.display(description=gettext_lazy("sent at"), ordering="delivered_at")
    def delivered(self, obj):
        return obj.delivered_at or "—"

    @admin.display(description=gettext_lazy("outbox"))
    def outbox_email(self, obj):
        if not obj.email_id:
            return "—"
        url = reverse("admin:post_office_email_change", args=[obj.email_id])
        return format_html('<a href="{}">{}</a>', url, _("e-mail #%(n)s") % {"n": obj.email_id})

    def has_requeue_permission(self, request):
        return request.user.has_perm("post_office.change_email")

    @admin.action(description=gettext_lazy("Queue failed e-mails again"),
                  permissions=["requeue"])
    def requeue(self, request, queryset):
        count = messages_requeue(messages=queryset)
        self.message_user(request, ngettext(
            "%(n)s e-mail queued again: the outbox will try it on its next run.",
            "%(n)s e-mails queued again: the outbox will try them on its next run.", count)
            % {"n": count}, messages.SUCCESS if count else messages.WARNING)
