"""Staff pages of the analysis app outside the admin's model screens.

Mounted by the project under ``analysis/``::

    path("analysis/", include("analysis.urls")),
"""

from django.urls import path

from analysis.admin import reconciliation

app_name = "analysis"

urlpatterns = [
    path("reconciliation/", reconciliation.index_view, name="reconciliation_index"),
    path("<int:questionnaire_id>/reconciliation/", reconciliation.reconciliation_view,
         name="reconciliation"),
    path("<int:questionnaire_id>/reconciliation/decide/", reconciliation.decide_view,
         name="reconcile_decide"),
    path("<int:questionnaire_id>/reconciliation/accept-agreed/",
         reconciliation.accept_agreed_view, name="reconcile_agreed"),
]
