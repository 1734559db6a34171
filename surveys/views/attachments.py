"""Staff download of the files States sent (official letters, faxes, file answers).

The files live under MEDIA_ROOT/private, which no URL serves: this view is the
only way to them. ``ResponseAdmin.get_urls`` wraps it in ``admin_view`` (login,
staff, no caching); here the permission to view replies is checked, and the file
is always downloaded, never displayed, under the name it was sent with.
"""

from __future__ import annotations

import mimetypes

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from surveys.models import Attachment


def can_view_replies(user) -> bool:
    # Django's own rule for the admin's view permission: "view" or "change".
    return user.has_perm("surveys.view_response") or user.has_perm("surveys.change_response")


def attachment_download(request, attachment_id: int):
    """The file of one attachment, as a download with its original name."""
    if not can_view_replies(request.user):
        raise PermissionDenied
    attachment = get_object_or_404(Attachment, pk=attachment_id)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404(_("The file of this attachment is missing from the server.")) from exc
    # The type comes from the stored name's suffix (one of the allowed extensions), not
    # from what the sender's browser claimed.
    content_type = mimetypes.guess_type(attachment.file.name)[0] or "application/octet-stream"
    response = FileResponse(handle, as_attachment=True, filename=attachment.original_name,
                            content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
