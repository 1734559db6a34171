"""Inquiry's URLs plus the reference views the portal benchmark measures the server against."""

from django.db import connection, transaction
from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

# Created by the portal benchmark in its own database before the server starts.
WRITE_FLOOR_TABLE = "bench_write_floor"


def noop(request):
    """A Django view that does nothing: the floor of a request through the same middleware."""
    return HttpResponse(b"ok", content_type="text/plain")


@csrf_exempt
def write_floor(request):
    """The least any view can do that durably records a reply: read the posted form and
    commit its answers as rows, one prepared statement in one transaction. No session,
    no link check, no validation, no version, no history, no receipt: not a portal,
    only a measure of what the database and the server cost for one committed reply."""
    rows = [(request.POST.get("portal-key", ""), name, value)
            for name, value in request.POST.items() if not name.startswith("portal-")]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {WRITE_FLOOR_TABLE} (reply, question, answer) "  # noqa: S608
                           "VALUES (%s, %s, %s)", rows)
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [
    path("bench/noop/", noop),
    path("bench/write-floor/", write_floor),
    path("", include("config.urls")),
]
