"""Admin screen to import replies from a spreadsheet: upload, preview (a dry run), confirm.

The Response admin routes ``import/`` here with itself as ``model_admin``. The
confirm step never trusts what the browser sends back: the uploaded file waits under
MEDIA_ROOT/private/imports/ with a random name that only the session knows, the
import runs again, for real, from that file, and the file is then deleted. The
rules are those of :func:`surveys.services.reply_import.responses_import`.
"""

from __future__ import annotations

import datetime
import re
import secrets
import time
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from surveys.models import Questionnaire
from surveys.services.reply_import import ReplyImportOutcome, responses_import
from surveys.spreadsheets import UploadValidator

SESSION_KEY = "surveys_reply_import"
PREVIEW_ROWS = 1000  # rows shown in the preview; bad rows are always all shown
STALE_AFTER = datetime.timedelta(days=1)  # previews never confirmed are swept after this
_STORED_NAME = re.compile(r"[0-9a-f]{32}\.(?:xlsx|csv)")


class ReplyImportForm(forms.Form):
    questionnaire = forms.ModelChoiceField(
        label=capfirst(gettext_lazy("questionnaire")),
        queryset=Questionnaire.objects.order_by("-created_at"))
    file = forms.FileField(
        label=gettext_lazy("Spreadsheet (.xlsx or .csv)"),
        validators=[UploadValidator(["xlsx", "csv"])])


def import_directory() -> Path:
    """Where uploads wait for confirmation: under MEDIA_ROOT/private, which no URL serves."""
    return Path(settings.MEDIA_ROOT) / "private" / "imports"


def _store(upload) -> str:
    directory = import_directory()
    directory.mkdir(parents=True, exist_ok=True)
    _sweep(directory)
    name = secrets.token_hex(16) + Path(upload.name).suffix.lower()
    with open(directory / name, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return name


def _sweep(directory: Path) -> None:
    """Delete uploads whose preview was left unconfirmed for a day."""
    limit = time.time() - STALE_AFTER.total_seconds()
    for path in directory.iterdir():
        if _STORED_NAME.fullmatch(path.name) and path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)


def _delete(name: str | None) -> None:
    if name and _STORED_NAME.fullmatch(name):
        (import_directory() / name).unlink(missing_ok=True)


def _discard_pending(request) -> None:
    pending = request.session.pop(SESSION_KEY, None)
    if pending:
        _delete(pending.get("file"))


def _changelist_url(model_admin, request) -> str:
    opts = model_admin.model._meta
    try:
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    except NoReverseMatch:
        return request.path


def _render(model_admin, request, form, outcome: ReplyImportOutcome | None = None, **extra):
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": _("Import replies from a spreadsheet"),
        "form": form,
        "outcome": outcome,
        **extra,
    }
    if outcome is not None:
        shown = [row for row in outcome.rows if row.messages] if outcome.problems else \
            outcome.rows[:PREVIEW_ROWS]
        context.update(rows=shown, rows_not_shown=len(outcome.rows) - len(shown)
                       if not outcome.problems else 0)
    return TemplateResponse(request, "admin/surveys/response/import.html", context)


def reply_import_view(model_admin, request):
    """Upload a sheet of replies, see what it would do, then confirm."""
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    if request.method == "POST" and "confirm" in request.POST:
        return _confirm(model_admin, request)
    if request.method == "POST" and "cancel" in request.POST:
        _discard_pending(request)
        model_admin.message_user(request, _("Import cancelled: nothing was imported."),
                                 messages.INFO)
        return HttpResponseRedirect(request.path)

    form = ReplyImportForm(request.POST or None, request.FILES or None)
    if request.method != "POST" or not form.is_valid():
        return _render(model_admin, request, form)

    _discard_pending(request)  # a new upload replaces a preview left unconfirmed
    questionnaire, upload = form.cleaned_data["questionnaire"], form.cleaned_data["file"]
    name = _store(upload)
    outcome = responses_import(questionnaire=questionnaire, source=import_directory() / name,
                               filename=upload.name, dry_run=True, user=request.user)
    can_confirm = outcome.ok and bool(outcome.new or outcome.updated)
    if can_confirm:
        request.session[SESSION_KEY] = {"file": name, "questionnaire": questionnaire.pk,
                                        "filename": upload.name}
    else:
        _delete(name)
    return _render(model_admin, request, ReplyImportForm(initial={"questionnaire": questionnaire}),
                   outcome, questionnaire=questionnaire, filename=upload.name,
                   pending=name if can_confirm else None)


def _confirm(model_admin, request):
    pending = request.session.pop(SESSION_KEY, None)
    posted = request.POST.get("file", "")
    if not pending or pending.get("file") != posted or not _STORED_NAME.fullmatch(posted):
        if pending:
            _delete(pending.get("file"))
        model_admin.message_user(
            request, _("This preview is no longer valid: upload the file again."),
            messages.ERROR)
        return HttpResponseRedirect(request.path)
    path = import_directory() / posted
    questionnaire = Questionnaire.objects.filter(pk=pending["questionnaire"]).first()
    try:
        if questionnaire is None or not path.exists():
            model_admin.message_user(
                request, _("This preview is no longer valid: upload the file again."),
                messages.ERROR)
            return HttpResponseRedirect(request.path)
        outcome = responses_import(questionnaire=questionnaire, source=path,
                                   filename=pending["filename"], user=request.user)
    finally:
        _delete(posted)
    if not outcome.ok:
        # The replies or recipients changed since the preview: show why, import nothing.
        model_admin.message_user(request, outcome.summary(), messages.ERROR)
        return _render(model_admin, request,
                       ReplyImportForm(initial={"questionnaire": questionnaire}), outcome,
                       questionnaire=questionnaire, filename=pending["filename"])
    model_admin.message_user(request, f"{questionnaire.code}, {pending['filename']}: "
                                      f"{outcome.summary()}", messages.SUCCESS)
    return HttpResponseRedirect(_changelist_url(model_admin, request))
