"""Inquiry's URLs plus the no-op view the portal benchmark measures the server against."""

from django.http import HttpResponse
from django.urls import include, path


def noop(request):
    """A Django view that does nothing: the floor of a request through the same middleware."""
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [
    path("bench/noop/", noop),
    path("", include("config.urls")),
]
