"""The project's URLs plus the report pages, for tests of the report until the project
mounts them itself (then this adds nothing)."""

from django.urls import include, path

from config.urls import urlpatterns as project_urlpatterns

urlpatterns = list(project_urlpatterns)
if not any(getattr(pattern, "namespace", None) == "report" for pattern in urlpatterns):
    urlpatterns.append(path("analysis/report/", include("analysis.urls_report")))
