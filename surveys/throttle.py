"""Slowing down guesses at personal reply links, and keeping links out of the logs.

A personal link is a 256-bit token, so guessing one is hopeless; counting bad
attempts per client address still stops a script from hammering the portal and
makes such a script visible. After ``MAX_ATTEMPTS`` bad links within ``WINDOW``
seconds, an address gets "429 Too Many Requests" (with ``Retry-After``) for the rest
of the window, whatever link it tries: a valid link still works from any other address.

The counts live in Django's cache (setting ``CACHES``, from ``CACHE_URL``): with
several web processes it must be a shared cache, or each process counts apart.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time

from django.core.cache import cache

MAX_ATTEMPTS = 10
WINDOW = 10 * 60  # seconds

_PREFIX = "inquiry:bad-link"


def client_address(request) -> str:
    """The address the request came from.

    REMOTE_ADDR only: X-Forwarded-For is written by the client unless a trusted proxy
    overwrites it, so trusting it would let a script pick a new address per attempt.
    Behind a reverse proxy, the proxy must pass the client's address as REMOTE_ADDR
    (e.g. gunicorn's ``--forwarded-allow-ips`` with uvicorn, or nginx's real-IP module).
    """
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _keys(request) -> tuple[str, str]:
    # Hashed so that the cache holds no address in clear and any address fits a key.
    digest = hashlib.sha256(client_address(request).encode()).hexdigest()[:32]
    return f"{_PREFIX}:{digest}:count", f"{_PREFIX}:{digest}:since"


def bad_link_wait(request) -> int:
    """Seconds this client must wait before trying a link again (0: it may try now)."""
    count_key, since_key = _keys(request)
    if (cache.get(count_key) or 0) < MAX_ATTEMPTS:
        return 0
    since = cache.get(since_key) or time.time()
    return max(1, int(WINDOW - (time.time() - since)))


def bad_link_record(request) -> int:
    """Count one bad link from this client; returns the count in the current window."""
    count_key, since_key = _keys(request)
    # add() only sets a missing key: the window starts at the first bad attempt and is
    # not extended by later ones.
    cache.add(since_key, time.time(), WINDOW)
    cache.add(count_key, 0, WINDOW)
    try:
        return cache.incr(count_key)
    except ValueError:  # expired between add() and incr()
        cache.set(count_key, 1, WINDOW)
        return 1


# --- logs ---------------------------------------------------------------------------------------

# Whatever follows /r/ up to the next slash, space, quote or query: a link, valid or not.
_LINK = re.compile(r"(/r/)[^/\s\"'?#]+")
REDACTED = r"\1[redacted]"


def redact_links(text: str) -> str:
    """``text`` with the token of any reply link replaced by ``[redacted]``."""
    return _LINK.sub(REDACTED, text)


class RedactReplyLinks(logging.Filter):
    """A logging filter that removes reply-link tokens from a record's message.

    Django's request logger writes "Not Found: /r/<token>/" for a bad link, and the
    development server logs every request line; configured on the ``django.request``
    and ``django.server`` loggers (see ``LOGGING`` in settings), so every handler,
    including those of parent loggers, receives the redacted record.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_links(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact_links(arg) if isinstance(arg, str) else arg
                                for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: redact_links(value) if isinstance(value, str) else value
                           for key, value in record.args.items()}
        return True
