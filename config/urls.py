"""Top-level URLs: the staff admin, the analysis pages and the reply portal."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Inquiry"
admin.site.site_title = "Inquiry"
admin.site.index_title = "Secretariat"

urlpatterns = [
    path(settings.ADMIN_URL, admin.site.urls),
    path("analysis/report/", include("analysis.urls_report")),
    path("analysis/", include("analysis.urls")),
    path("", include("surveys.urls")),
]
