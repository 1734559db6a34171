"""Status board and call list of a questionnaire (admin views, reached from its page)."""

from django.http import HttpResponse


def status_board_view(model_admin, request, object_id):  # pragma: no cover - placeholder
    return HttpResponse("Status board: not built yet.")


def status_board_export_view(model_admin, request, object_id):  # pragma: no cover
    return HttpResponse("Status board export: not built yet.")


def call_list_view(model_admin, request, object_id):  # pragma: no cover - placeholder
    return HttpResponse("Call list: not built yet.")
