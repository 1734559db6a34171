"""The project's URLs plus the analysis staff pages, for tests of those pages.

Until ``config/urls.py`` mounts ``analysis.urls`` itself, the view tests use this
module (``@pytest.mark.urls("tests.analysis.urls")``); once it does, nothing is added
twice.
"""

from django.urls import include, path

from config.urls import urlpatterns as project_urlpatterns

urlpatterns = list(project_urlpatterns)
if not any(getattr(pattern, "namespace", None) == "analysis" for pattern in urlpatterns):
    urlpatterns.append(path("analysis/", include("analysis.urls")))
