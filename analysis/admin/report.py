"""The report page of a questionnaire: participation, views in words and figures, charts.

Plain staff views in the admin's frame (URLs in :mod:`analysis.urls_report`, mounted
under ``analysis/report/`` in the namespace ``report``). Readers may see reports:
any staff member with the ``surveys.view_response`` permission. The figures come
from :mod:`analysis.tallies` and :mod:`analysis.phrasing`, the charts from
:mod:`analysis.maps` and :mod:`analysis.charts` (served as SVG images, or PNG to
paste into a draft), the workbook from :mod:`analysis.report`.
"""

from __future__ import annotations

from functools import wraps

from django import forms
from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from analysis import phrasing, tallies
from surveys.models import Questionnaire

READ_PERMISSION = "surveys.view_response"
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
CHARTS = ("map", "timeline", "views")
CONTENT_TYPES = {"svg": "image/svg+xml", "png": "image/png"}
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _readers_only(view):
    """Staff holding ``surveys.view_response``; other staff get 403, others the login."""
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.has_perm(READ_PERMISSION):
            raise PermissionDenied
        return view(request, *args, **kwargs)
    return staff_member_required(wrapped)


class ReportForm(forms.Form):
    as_of = forms.DateField(
        label=gettext_lazy("As of"), required=False, widget=DATE_INPUT,
        help_text=gettext_lazy("Count the replies received by the end of this day; the "
                               "report cut-off by default."))
    map_date = forms.DateField(
        label=gettext_lazy("Map date"), required=False, widget=DATE_INPUT,
        help_text=gettext_lazy("The map shows the replies received by this day; the same "
                               "date by default."))


def _dates(request, questionnaire):
    """(as_of, map_date, form) from the query string; invalid dates fall back to defaults."""
    form = ReportForm(request.GET or None)
    cleaned = form.cleaned_data if form.is_valid() else {}
    as_of = tallies.tally_date(questionnaire=questionnaire, as_of=cleaned.get("as_of"))
    if not form.is_bound:
        form = ReportForm(initial={"as_of": as_of})  # show the date the counts stand at
    return as_of, cleaned.get("map_date") or as_of, form


def _percent(share) -> str:
    """0.2778 → "28 %"; no share (a base of 0) → "—"."""
    if share is None or share != share:  # NaN when the base is 0
        return "—"
    return f"{round(float(share) * 100)} %"


def _context(request, title, **extra):
    request.current_app = admin.site.name
    return {**admin.site.each_context(request), "title": title, **extra}


@_readers_only
def index_view(request):
    """Every questionnaire, newest first: the way in to each one's report."""
    questionnaires = Questionnaire.objects.order_by("-created_at")
    return TemplateResponse(request, "admin/analysis/report/index.html", _context(
        request, _("Reports"), questionnaires=questionnaires))


@_readers_only
def report_view(request, questionnaire_id):
    """Participation, the views in words and figures, the table by region, the charts."""
    questionnaire = get_object_or_404(Questionnaire, pk=questionnaire_id)
    as_of, map_date, form = _dates(request, questionnaire)
    figures = tallies.participation(questionnaire=questionnaire, as_of=as_of)
    sentences = phrasing.view_sentences(questionnaire=questionnaire, as_of=as_of)
    overall = tallies.code_tally(questionnaire=questionnaire, as_of=as_of)
    by_region = tallies.code_tally(questionnaire=questionnaire, as_of=as_of, by="region")

    regions = list(dict.fromkeys(by_region["group"])) if len(by_region) else []
    counts = {(row.key, row.group): row.count for row in by_region.itertuples(index=False)}
    bases = {row.group: row.respondents for row in by_region.itertuples(index=False)}
    shares = dict(zip(overall["key"], overall["share_respondents"], strict=True))
    views = [{"sentence": s, "share": _percent(shares.get(s.key))} for s in sentences]
    region_rows = [{"key": row.key, "label": row.label, "total": row.count,
                    "counts": [counts.get((row.key, r), 0) for r in regions]}
                   for row in overall.itertuples(index=False)]
    query = {"as_of": as_of.isoformat()}
    if map_date != as_of:
        query["map_date"] = map_date.isoformat()
    by_region_rows = [{"region": row.region, "recipients": row.recipients,
                       "respondents": row.respondents, "share": _percent(row.share)}
                      for row in figures.by_region.itertuples(index=False)]
    return TemplateResponse(request, "admin/analysis/report/page.html", _context(
        request, _("Report"), subtitle=str(questionnaire), questionnaire=questionnaire,
        form=form, as_of=as_of, map_date=map_date, query=urlencode(query),
        participation=figures,
        participation_sentence=phrasing.participation_sentence(questionnaire=questionnaire,
                                                               as_of=as_of),
        by_region=by_region_rows,
        views=views, regions=regions, region_rows=region_rows,
        region_bases=[bases.get(r, 0) for r in regions],
    ))


@_readers_only
def chart_view(request, questionnaire_id, chart, fmt):
    """One chart as an image: ``map``, ``timeline`` or ``views``, in SVG or PNG."""
    # Matplotlib is imported when a chart is drawn, not whenever the admin loads.
    from analysis import charts, maps

    if chart not in CHARTS or fmt not in CONTENT_TYPES:
        raise Http404
    questionnaire = get_object_or_404(Questionnaire, pk=questionnaire_id)
    as_of, map_date, _form = _dates(request, questionnaire)
    if chart == "map":
        data = maps.replies_map(questionnaire=questionnaire, as_of=map_date, fmt=fmt)
        name = f"map-{map_date:%Y-%m-%d}"
    elif chart == "timeline":
        data = charts.replies_timeline(questionnaire=questionnaire, fmt=fmt,
                                       map_date=map_date if map_date != as_of else None)
        name = "timeline"
    else:
        data = charts.views_bar(questionnaire=questionnaire, as_of=as_of, fmt=fmt)
        name = f"views-{as_of:%Y-%m-%d}"
    response = HttpResponse(data, content_type=CONTENT_TYPES[fmt])
    if fmt == "svg":
        # An image, never a document: no script may run even if opened on its own.
        response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    else:
        # The code is restricted to letters, digits, "_", "-" and "." (safe in a header).
        response["Content-Disposition"] = (
            f'attachment; filename="{questionnaire.code}-{name}.png"')
    return response


@_readers_only
def workbook_view(request, questionnaire_id):
    """The report workbook (.xlsx) as of the date asked."""
    from analysis import report  # draws the charts: see chart_view

    questionnaire = get_object_or_404(Questionnaire, pk=questionnaire_id)
    as_of, map_date, _form = _dates(request, questionnaire)
    data = report.report_workbook(questionnaire=questionnaire, as_of=as_of, map_date=map_date)
    response = HttpResponse(data, content_type=XLSX_MIME)
    filename = report.report_filename(questionnaire=questionnaire, as_of=as_of)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
