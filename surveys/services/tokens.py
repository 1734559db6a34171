"""Personal reply links: tokens that only the server's secret key can produce.

A recipient's token is ``HMAC-SHA256(SECRET_KEY, "recipient:<salt>")`` (256 bits,
URL-safe base64). The database keeps the random salt and the token's SHA-256, never
the token: a copy of the database reveals no working link, while the server can
print the same link in every reminder. "Regenerate" draws a new salt, so the old
link stops working at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from django.conf import settings
from django.utils import timezone

from surveys.models import Recipient

TOKEN_BYTES = 32  # 256 bits; the issue asks for at least 128


def _derive(salt: str, key: str) -> str:
    digest = hmac.new(key.encode(), f"inquiry.recipient:{salt}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()[:TOKEN_BYTES]).decode().rstrip("=")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def recipient_token(recipient: Recipient) -> str:
    """The token of the recipient's current link (derived, not stored)."""
    return _derive(recipient.token_salt, settings.SECRET_KEY)


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


def recipient_link(recipient: Recipient) -> str:
    """The personal link, built from the configured site address (never the Host header)."""
    from django.urls import reverse

    return settings.SITE_URL + reverse("portal:entry", kwargs={"token": recipient_token(recipient)})


def recipient_from_token(token: str) -> Recipient | None:
    """The recipient whose link this is, or None if the link is unknown or revoked."""
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
    return recipient
