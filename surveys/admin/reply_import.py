"""Admin screen to import replies from a spreadsheet (dry run, then confirm)."""

from django.http import HttpResponse


def reply_import_view(model_admin, request):  # pragma: no cover - placeholder
    return HttpResponse("Reply import: not built yet.")
