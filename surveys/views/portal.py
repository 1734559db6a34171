"""The reply portal governments open from their personal link (no account).

Following Django's ``PasswordResetConfirmView``: the token moves from the URL into
the session and the browser is redirected to an address without it, so the token
never leaks through the Referer header or browser history.
"""

from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from surveys.models import Recipient
from surveys.services.tokens import recipient_from_token

SESSION_KEY = "inquiry_recipient"


@never_cache
def entry(request, token):
    recipient = recipient_from_token(token)
    if recipient is None:
        return invalid_link(request)
    request.session.cycle_key()
    request.session[SESSION_KEY] = recipient.pk
    return redirect("portal:reply")


def invalid_link(request):
    return render(request, "surveys/portal/invalid_link.html",
                  {"message": _("This link is not valid.")}, status=404)


def current_recipient(request) -> Recipient | None:
    pk = request.session.get(SESSION_KEY)
    if pk is None:
        return None
    recipient = (Recipient.objects.select_related("questionnaire", "state")
                 .filter(pk=pk, link_revoked=False).first())
    return recipient


@never_cache
def reply(request):
    recipient = current_recipient(request)
    if recipient is None:
        return invalid_link(request)
    return render(request, "surveys/portal/reply.html", {"recipient": recipient})
