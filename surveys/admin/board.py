"""Status board and call list of a questionnaire: admin screens reached from its page.

``QuestionnaireAdmin.get_urls`` routes to these functions with itself as
``model_admin``. They stay thin: the figures come from :mod:`surveys.selectors`, a
call is logged through :mod:`surveys.services.followup`, and each page runs the same
few queries for 10 States or 195.
"""

from __future__ import annotations

import datetime as dt
from io import BytesIO

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from surveys.cells import formula_safe
from surveys.models import FollowUp
from surveys.selectors import (
    call_list,
    call_period,
    overdue,
    recipient_statuses,
    status_counts,
)
from surveys.services.followup import followup_log

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AsOfForm(forms.Form):
    as_of = forms.DateField(
        label=gettext_lazy("As of"), required=False, widget=DATE_INPUT,
        help_text=gettext_lazy("Count only what had happened by the end of this day."))


class CallListFilterForm(AsOfForm):
    around = forms.DateField(
        label=gettext_lazy("Calling period around"), required=False, widget=DATE_INPUT,
        help_text=gettext_lazy("A week either side of this date; the deadline by default."))


class CallLogForm(forms.Form):
    """The one-line form on each row of the call list: a telephone call, logged now."""

    recipient = forms.IntegerField(widget=forms.HiddenInput)
    outcome = forms.ChoiceField(label=gettext_lazy("outcome"), choices=FollowUp.Outcome.choices)
    promised_by = forms.DateField(label=gettext_lazy("reply promised by"), required=False,
                                  widget=DATE_INPUT)
    spoke_with = forms.CharField(label=gettext_lazy("spoke with"), max_length=200,
                                 required=False)
    note = forms.CharField(label=gettext_lazy("note"), required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("outcome") == FollowUp.Outcome.PROMISED and not cleaned.get("promised_by"):
            self.add_error("promised_by", _("Give the date by which a reply was promised."))
        return cleaned


# --- helpers --------------------------------------------------------------------------


def _questionnaire_or_deny(model_admin, request, object_id):
    """The questionnaire, if the user may view it; (None, redirect) if it does not exist."""
    questionnaire = model_admin.get_object(request, unquote(object_id))
    if questionnaire is None:
        return None, model_admin._get_obj_does_not_exist_redirect(
            request, model_admin.opts, object_id)
    if not model_admin.has_view_permission(request, questionnaire):
        raise PermissionDenied
    return questionnaire, None


def _can_log_calls(model_admin, request) -> bool:
    site = model_admin.admin_site
    if site.is_registered(FollowUp):
        return site.get_model_admin(FollowUp).has_add_permission(request)
    return request.user.has_perm("surveys.add_followup")


def can_see_contacts(request) -> bool:
    """Phone numbers and names of contacts are for those who may look at the contacts."""
    user = request.user
    return user.has_perm("surveys.view_contact") or user.has_perm("surveys.change_contact")


def _without_contacts(rows) -> None:
    for row in rows:
        row.mission_phone = row.addressee_phone = ""


def _context(model_admin, request, questionnaire, title, **extra):
    request.current_app = model_admin.admin_site.name
    return {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "subtitle": str(questionnaire),
        "opts": model_admin.opts,
        "module_name": capfirst(model_admin.opts.verbose_name_plural),
        "original": questionnaire,
        "today": timezone.localdate(),
        **extra,
    }


# --- status board ---------------------------------------------------------------------


def status_board_view(model_admin, request, object_id):
    """Counts per status and per region, the overdue list and every State's line."""
    questionnaire, redirect = _questionnaire_or_deny(model_admin, request, object_id)
    if redirect:
        return redirect
    form = AsOfForm(request.GET or None)
    as_of = form.cleaned_data["as_of"] if form.is_valid() else None
    rows = recipient_statuses(questionnaire=questionnaire, as_of=as_of)
    show_phones = can_see_contacts(request)
    if not show_phones:
        _without_contacts(rows)
    context = _context(
        model_admin, request, questionnaire, _("Status board"),
        form=form, as_of=as_of, rows=rows, show_phones=show_phones,
        counts=status_counts(questionnaire=questionnaire, rows=rows),
        overdue=overdue(questionnaire=questionnaire, as_of=as_of, rows=rows),
    )
    return TemplateResponse(request, "admin/surveys/board/status_board.html", context)


def status_board_export_view(model_admin, request, object_id):
    """The board as a workbook: Summary, By region, States."""
    questionnaire, redirect = _questionnaire_or_deny(model_admin, request, object_id)
    if redirect:
        return redirect
    form = AsOfForm(request.GET or None)
    as_of = form.cleaned_data["as_of"] if form.is_valid() else None
    workbook = status_board_workbook(questionnaire=questionnaire, as_of=as_of,
                                     phones=can_see_contacts(request))
    buffer = BytesIO()
    workbook.save(buffer)
    day = as_of or timezone.localdate()
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    # The code is restricted to letters, digits, "_", "-" and "." (safe in a header).
    response["Content-Disposition"] = (
        f'attachment; filename="{questionnaire.code}-status-{day:%Y-%m-%d}.xlsx"')
    return response


def _write(sheet, values, *, bold=False):
    """Append a row; every text goes through formula_safe (translated labels included)."""
    sheet.append([formula_safe(str(v) if isinstance(v, Promise) else v) for v in values])
    if bold:
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)


def _finish(sheet, widths=None):
    """Bold, frozen header row; columns as wide as their content (within reason)."""
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for index, column in enumerate(sheet.iter_cols(values_only=True), start=1):
        longest = max((len(str(v)) for v in column if v is not None), default=8)
        width = (widths or {}).get(index) or min(max(longest + 2, 8), 50)
        sheet.column_dimensions[get_column_letter(index)].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"


def _day(value):
    if isinstance(value, dt.datetime):
        return timezone.localdate(value)
    return value


def status_board_workbook(*, questionnaire, as_of=None, phones: bool = True) -> Workbook:
    """The status board of ``questionnaire`` as an openpyxl workbook, every text cell safe.

    ``phones`` False leaves out the missions' phone numbers (for staff who may not see
    the contacts)."""
    rows = recipient_statuses(questionnaire=questionnaire, as_of=as_of)
    counts = status_counts(questionnaire=questionnaire, rows=rows)
    late = overdue(questionnaire=questionnaire, as_of=as_of, rows=rows)
    overdue_ids = {row.recipient.pk for row in late}

    workbook = Workbook()
    summary = workbook.active
    summary.title = "Summary"
    _write(summary, [_("Item"), _("Value")])
    for label, value in [
        (_("Questionnaire"), questionnaire.code),
        (_("Title"), questionnaire.title_text()),
        (_("Sent on"), questionnaire.sent_on),
        (_("Deadline"), questionnaire.deadline),
        (_("Report cut-off"), questionnaire.cutoff),
        (_("As of"), as_of or timezone.localdate()),
        (_("States"), counts.total),
    ]:
        _write(summary, [label, value])
    for status, number in counts.overall:
        _write(summary, [status.label, number])
    _write(summary, [_("Overdue"), len(late)])
    _finish(summary)

    by_region = workbook.create_sheet("By region")
    _write(by_region, [_("Region"), *[s.label for s in counts.statuses], _("Total")])
    for region in counts.regions:
        _write(by_region, [region.region, *region.counts, region.total])
    _write(by_region, [_("Total"), *counts.totals, counts.total], bold=True)
    _finish(by_region)

    states = workbook.create_sheet("States")
    _write(states, [_("State"), _("ISO code"), _("Region"), _("Status"), _("Reminders"),
                    _("Invited"), _("Reply received"), _("Received through"),
                    _("Declined on"), _("Last contact"), _("Channel"), _("Outcome"),
                    _("Reply promised by"), _("Overdue"),
                    *([_("Mission phone")] if phones else [])])
    for row in rows:
        _write(states, [
            row.state.name(), row.state.iso3, row.state.region, row.label, row.reminder_count,
            _day(row.invited_at), row.replied_on, row.reply_channel_label, row.declined_on,
            _day(row.last_contact_at), row.last_contact_channel_label,
            row.last_contact_outcome_label, row.promised_by,
            _("yes") if row.recipient.pk in overdue_ids else "",
            *([row.mission_phone] if phones else []),
        ])
    _finish(states)
    return workbook


# --- call list ------------------------------------------------------------------------


def call_list_view(model_admin, request, object_id):
    """Non-respondents to telephone around the deadline, each with a form to log the call."""
    if not can_see_contacts(request):
        raise PermissionDenied  # a list of names and telephone numbers
    questionnaire, redirect = _questionnaire_or_deny(model_admin, request, object_id)
    if redirect:
        return redirect
    can_log = _can_log_calls(model_admin, request)
    bound = None
    if request.method == "POST":
        if not can_log:
            raise PermissionDenied
        bound = CallLogForm(request.POST, auto_id=f"id_call{request.POST.get('recipient')}_%s")
        recipient = None
        if bound.is_valid():
            recipient = (questionnaire.recipients.select_related("state")
                         .filter(pk=bound.cleaned_data["recipient"]).first())
        if recipient is not None:
            data = bound.cleaned_data
            followup_log(recipient=recipient, happened_at=timezone.now(),
                         channel=FollowUp.Channel.PHONE, outcome=data["outcome"],
                         staff=request.user, spoke_with=data["spoke_with"],
                         promised_by=data["promised_by"], note=data["note"])
            messages.success(request, _("Call to %(state)s logged: %(outcome)s.") % {
                "state": recipient.state.name(),
                "outcome": FollowUp.Outcome(data["outcome"]).label})
            return HttpResponseRedirect(request.get_full_path())
        messages.error(request, _("The call was not logged: please correct the form below."))

    filters = CallListFilterForm(request.GET or None)
    cleaned = filters.cleaned_data if filters.is_valid() else {}
    as_of, around = cleaned.get("as_of"), cleaned.get("around")
    entries = call_list(questionnaire=questionnaire, around=around, as_of=as_of)
    if can_log:
        for entry in entries:
            pk = entry.row.recipient.pk
            if bound is not None and str(pk) == request.POST.get("recipient"):
                entry.form = bound
            else:
                entry.form = CallLogForm(initial={"recipient": pk}, auto_id=f"id_call{pk}_%s")
    context = _context(
        model_admin, request, questionnaire, _("Call list"),
        filters=filters, entries=entries, as_of=as_of, can_log=can_log,
        period=call_period(questionnaire=questionnaire, around=around),
        followup_add_url=_followup_add_url(model_admin),
        phone_channel=FollowUp.Channel.PHONE,
    )
    return TemplateResponse(request, "admin/surveys/board/call_list.html", context)


def _followup_add_url(model_admin) -> str | None:
    """The full follow-up form (other channels, another time), if this site has it."""
    site = model_admin.admin_site
    if not site.is_registered(FollowUp):
        return None
    return reverse(f"{site.name}:surveys_followup_add", current_app=site.name)
