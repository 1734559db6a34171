"""The report pages, for staff who may read replies.

Mounted by the project under ``analysis/report/``::

    path("analysis/report/", include("analysis.urls_report")),
"""

from django.urls import path, re_path

from analysis.admin import report

app_name = "report"

urlpatterns = [
    path("", report.index_view, name="index"),
    path("<int:questionnaire_id>/", report.report_view, name="page"),
    path("<int:questionnaire_id>/workbook.xlsx", report.workbook_view, name="workbook"),
    re_path(r"^(?P<questionnaire_id>[0-9]+)/(?P<chart>map|timeline|views)\.(?P<fmt>svg|png)$",
            report.chart_view, name="chart"),
]
