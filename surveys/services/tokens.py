"""Personal reply links: tokens that only the server's secret key can produce.

A recipient's token is ``HMAC-SHA256(SECRET_KEY, "recipient:<salt>")`` (256 bits,
URL-safe base64). The recipient's row keeps the random salt and the token's SHA-256,
never the token, while the server can print the same link in every reminder (the
outbox keeps the e-mails it sent, links included, until they are cleaned up: see
docs/security.md). "Regenerate" draws a new salt, so the old link stops working at
once; "revoked" stops it without a new one; and every link stops working
``REPLY_LINK_GRACE_DAYS`` after its questionnaire's cut-off.

Functions that hold a token or the secret key are ``sensitive_variables``: an error
report never shows their local variables.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import secrets

from django.conf import settings
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from surveys.models import Recipient

TOKEN_BYTES = 32  # 256 bits; the issue asks for at least 128


@sensitive_variables()
def _derive(salt: str, key: str) -> str:
    digest = hmac.new(key.encode(), f"inquiry.recipient:{salt}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()[:TOKEN_BYTES]).decode().rstrip("=")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@sensitive_variables()
def recipient_token(recipient: Recipient) -> str:
    """The token of the recipient's current link (derived, not stored)."""
    return _derive(recipient.token_salt, settings.SECRET_KEY)


@sensitive_variables()
def recipient_token_reset(recipient: Recipient, *, save: bool = True) -> str:
    """Draw a new token for the recipient; any earlier link stops working."""
    recipient.token_salt = secrets.token_hex(16)
    token = recipient_token(recipient)
    recipient.token_hash = token_hash(token)
    recipient.token_created_at = timezone.now()
    recipient.link_revoked = False
    if save:
        recipient.save(update_fields=["token_salt", "token_hash", "token_created_at",
                                      "link_revoked"])
    return token


@sensitive_variables()
def recipient_link(recipient: Recipient) -> str:
    """The personal link, built from the configured site address (never the Host header).

    ``SITE_URL`` is the whole public address, path prefix included: the prefix the
    current request was served under (SCRIPT_NAME) is left out, so that a link is the
    same whether a member of staff or ``send_due_reminders`` makes it.
    """
    path = reverse("portal:entry", kwargs={"token": recipient_token(recipient)})
    return settings.SITE_URL + "/" + path[len(get_script_prefix()):]


def recipient_link_expires_on(recipient: Recipient) -> datetime.date | None:
    """The last day the link works: the questionnaire's cut-off plus the grace period.

    Until the cut-off the State replies and amends; then, for the grace period, the link
    shows the reply as sent (read-only), for the State's own records; after it, the
    link is refused like a wrong one. Without a cut-off, replies stay open and the link
    works until it is revoked or regenerated.
    """
    cutoff = recipient.questionnaire.cutoff
    if cutoff is None:
        return None
    return cutoff + datetime.timedelta(days=settings.REPLY_LINK_GRACE_DAYS)


def recipient_link_expired(recipient: Recipient, today: datetime.date | None = None) -> bool:
    expires_on = recipient_link_expires_on(recipient)
    return expires_on is not None and (today or timezone.localdate()) > expires_on


@sensitive_variables()
def recipient_from_token(token: str) -> Recipient | None:
    """The recipient whose link this is, or None if the link is unknown, revoked or expired."""
    if not token or len(token) > 100:
        return None
    recipient = (Recipient.objects.select_related("questionnaire", "state")
                 .filter(token_hash=token_hash(token)).first())
    if recipient is None or recipient.link_revoked:
        return None
    # The stored hash must still be what the secret key derives: after a key change
    # without SECRET_KEY_FALLBACKS, old links stop working rather than half-working.
    expected = [_derive(recipient.token_salt, key)
                for key in [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]]
    if not any(hmac.compare_digest(token, candidate) for candidate in expected):
        return None
    if recipient_link_expired(recipient):
        return None
    return recipient
