"""Agreement and reconciliation: staff pages in the admin's frame.

Per questionnaire: how far the coders agree (per code and overall), the list of
(State, code) pairs they differ on with "Apply in final" / "Do not apply" for each,
and "Accept all agreed codings". The figures come from :mod:`analysis.agreement`,
the decisions go through :mod:`analysis.services.reconcile`; these views stay thin.

They are plain staff views (URLs in :mod:`analysis.urls`, mounted under
``analysis/``) rendered with the admin's base template: reading needs the
``view_coding`` or ``change_coding`` permission, deciding needs ``change_coding``.
"""

from __future__ import annotations

from functools import wraps

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from analysis.agreement import agreement, disagreements
from analysis.models import Code
from analysis.services.reconcile import ReconcileError, reconcile_accept, reconcile_auto_agreed
from surveys.models import Questionnaire, State

VIEW_PERMISSIONS = ("analysis.view_coding", "analysis.change_coding")
CHANGE_PERMISSION = "analysis.change_coding"
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _needs(*permissions):
    """Staff only, holding any of ``permissions``."""
    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not any(request.user.has_perm(p) for p in permissions):
                raise PermissionDenied
            return view(request, *args, **kwargs)
        return staff_member_required(wrapped)
    return decorator


class CoderChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, user):
        return user.get_full_name() or user.get_username()


class AgreementFilterForm(forms.Form):
    as_of = forms.DateField(
        label=gettext_lazy("As of"), required=False, widget=DATE_INPUT,
        help_text=gettext_lazy("Replies received by this day; the report cut-off by default."))
    coders = CoderChoice(
        label=gettext_lazy("Coders compared"), required=False, queryset=None,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Everyone who coded this questionnaire, unless you choose."))

    def __init__(self, *args, questionnaire, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["coders"].queryset = (
            get_user_model().objects.filter(codings__final=False,
                                            codings__code__questionnaire=questionnaire)
            .distinct().order_by(get_user_model().USERNAME_FIELD))

    def chosen(self):
        """(as_of, coders or None) from valid filters; defaults otherwise."""
        if not self.is_valid():
            return None, None
        return self.cleaned_data["as_of"], list(self.cleaned_data["coders"]) or None


def _back(request, questionnaire, *, keep_place=True) -> HttpResponseRedirect:
    """To ``next`` if it is one of ours, else to the questionnaire's page.

    ``keep_place`` False drops the row anchor, so that an error shown at the top of
    the page is seen.
    """
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = reverse("analysis:reconciliation", args=[questionnaire.pk])
    if not keep_place:
        target = target.split("#", 1)[0]
    return HttpResponseRedirect(target)


def _context(request, title, **extra):
    request.current_app = admin.site.name
    return {**admin.site.each_context(request), "title": title, **extra}


@_needs(*VIEW_PERMISSIONS)
def index_view(request):
    """Questionnaires with a codebook: the way in to each one's agreement page."""
    questionnaires = (Questionnaire.objects.annotate(
        n_codes=Count("codes", distinct=True),
        n_coders=Count("codes__codings__coder", filter=Q(codes__codings__final=False),
                       distinct=True))
        .filter(n_codes__gt=0).order_by("-created_at"))
    return TemplateResponse(request, "admin/analysis/reconciliation/index.html", _context(
        request, _("Agreement and reconciliation"), questionnaires=questionnaires))


@_needs(*VIEW_PERMISSIONS)
def reconciliation_view(request, questionnaire_id):
    """Agreement per code and overall, and the disagreements with their decisions."""
    questionnaire = get_object_or_404(Questionnaire, pk=questionnaire_id)
    form = AgreementFilterForm(request.GET or None, questionnaire=questionnaire)
    as_of, coders = form.chosen()
    report = agreement(questionnaire=questionnaire, coders=coders, as_of=as_of)
    found = disagreements(questionnaire=questionnaire, coders=coders, as_of=as_of)
    rows = [{"agreement": a, "applied": [a.applied.get(c.pk, 0) for c in report.coders]}
            for a in report.codes]
    overall = {"agreement": report.overall,
               "applied": [report.overall.applied.get(c.pk, 0) for c in report.coders]}
    return TemplateResponse(request, "admin/analysis/reconciliation/page.html", _context(
        request, _("Agreement and reconciliation"), subtitle=str(questionnaire),
        questionnaire=questionnaire, form=form, report=report, rows=rows, overall=overall,
        disagreements=found, open_count=sum(not d.in_final for d in found),
        coder_ids=[c.pk for c in report.coders],
        can_change=request.user.has_perm(CHANGE_PERMISSION)))


@require_POST
@_needs(CHANGE_PERMISSION)
def decide_view(request, questionnaire_id):
    """One (State, code): "Apply in final" or "Do not apply"."""
    questionnaire = get_object_or_404(Questionnaire, pk=questionnaire_id)
    state = get_object_or_404(State, pk=request.POST.get("state"))
    code = get_object_or_404(Code, pk=request.POST.get("code"), questionnaire=questionnaire)
    apply = request.POST.get("apply") == "1"
    try:
        done = reconcile_accept(questionnaire=questionnaire, user=request.user, state=state,
                                code=code, apply=apply)
    except ReconcileError as error:
        messages.error(request, " ".join(error.messages))
        return _back(request, questionnaire, keep_place=False)
    if apply:
        messages.success(request, _("“%(code)s” is in the final coding for %(state)s.")
                         % {"code": code.label, "state": state.name()})
    else:
        messages.success(request, _("“%(code)s” is not in the final coding for %(state)s.")
                         % {"code": code.label, "state": state.name()}
                         + (" " + ngettext("One final coding removed.",
                                           "%(n)d final codings removed.", done.removed)
                            % {"n": done.removed} if done.removed else ""))
    return _back(request, questionnaire)


@require_POST
@_needs(CHANGE_PERMISSION)
def accept_agreed_view(request, questionnaire_id):
    """Copy every (State, code) all compared coders applied into the final coding."""
    questionnaire = get_object_or_404(Questionnaire, pk=questionnaire_id)
    ids = [int(i) for i in request.POST.getlist("coders") if i.isdigit()]
    done = reconcile_auto_agreed(questionnaire=questionnaire, user=request.user,
                                 coders=ids or None)
    messages.success(request, ngettext(
        "%(n)d final coding added from the codings all coders agree on.",
        "%(n)d final codings added from the codings all coders agree on.", done.created)
        % {"n": done.created} + " " + ngettext(
        "%(n)d disagreement is left for you to decide.",
        "%(n)d disagreements are left for you to decide.", done.disagreements)
        % {"n": done.disagreements})
    if done.kept_removed:
        messages.info(request, ngettext(
            "%(n)d agreed coding was not added back: someone had removed it from the final "
            "coding.", "%(n)d agreed codings were not added back: someone had removed them "
            "from the final coding.", done.kept_removed) % {"n": done.kept_removed})
    for conflict in done.conflicts:
        messages.warning(request, _("Not added, decide it yourself: %(conflict)s")
                         % {"conflict": conflict})
    return _back(request, questionnaire)
