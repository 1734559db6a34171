"""Slowing down guesses at personal reply links, and keeping links out of the logs.

A personal link is a 256-bit token, so guessing one is hopeless; counting bad
attempts per client (an IPv4 address, or an IPv6 /64) still stops a script from
hammering the portal and makes such a script visible. After ``MAX_ATTEMPTS`` bad links
within ``WINDOW`` seconds, a client gets "429 Too Many Requests" (with ``Retry-After``) for the rest
of the window, whatever link it tries: a valid link still works from any other address.

The counts live in Django's cache (setting ``CACHES``, from ``CACHE_URL``): with
several web processes it must be a shared cache, or each process counts apart.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import re
import time

from django.conf import settings
from django.core.cache import cache
from django.views.debug import ExceptionReporter

MAX_ATTEMPTS = 10
WINDOW = 10 * 60  # seconds

_PREFIX = "inquiry:bad-link"


def client_address(request) -> str:
    """The address the request came from.

    REMOTE_ADDR, unless it is one of ``settings.TRUSTED_PROXIES`` (the site's own reverse
    proxy, e.g. nginx on 127.0.0.1 in front of gunicorn): then the last address of
    X-Forwarded-For that is not a trusted proxy — the one our proxy saw. Anything a
    client writes itself in X-Forwarded-For comes before that and is never read, so a
    script cannot pick a new address per attempt; and behind the proxy, governments do
    not all share the proxy's one address and one counter.
    """
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    trusted = set(getattr(settings, "TRUSTED_PROXIES", []))
    if remote not in trusted:
        return remote
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for address in reversed(forwarded):
        if address and address not in trusted:
            return address
    return remote


def client_network(request) -> str:
    """What one client is counted as: its IPv4 address, or its IPv6 /64.

    An IPv6 subscriber is given a whole /64 and picks any address in it at will: counted
    per address, a script would start afresh with every attempt.
    """
    address = client_address(request)
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 4:
        return str(parsed)
    if parsed.ipv4_mapped is not None:  # ::ffff:192.0.2.7 is the IPv4 client 192.0.2.7
        return str(parsed.ipv4_mapped)
    return str(ipaddress.ip_network(f"{parsed}/64", strict=False))


def _keys(request) -> tuple[str, str]:
    # Hashed so that the cache holds no address in clear and any address fits a key.
    digest = hashlib.sha256(client_network(request).encode()).hexdigest()[:32]
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
        count = cache.incr(count_key)
    except ValueError:  # expired between add() and incr()
        cache.set(count_key, 1, WINDOW)
        return 1
    # Some caches (database, file) implement incr() as get + set, which gives the key the
    # default timeout (5 minutes): keep it to the end of the window.
    since = cache.get(since_key) or time.time()
    cache.touch(count_key, max(1, int(WINDOW - (time.time() - since))))
    return count


# --- logs ---------------------------------------------------------------------------------------

# Whatever follows /r/ up to the next slash, space, quote, query or markup: a link, valid
# or not.
_LINK = re.compile(r"(/r/)[^/\s\"'?#<>&]+")
REDACTED = r"\1[redacted]"
# What redact_links leaves of a link, and (as a database regex) a link it has not yet
# redacted: the outbox looks for these in the e-mails it keeps.
REDACTED_LINK = "/r/[redacted]"
WORKING_LINK_SQL = r"/r/[A-Za-z0-9_-]"


def redact_links(text: str) -> str:
    """``text`` with the token of any reply link replaced by ``[redacted]``."""
    return _LINK.sub(REDACTED, text)


def _redact_record(record: logging.LogRecord) -> None:
    if isinstance(record.msg, str):
        record.msg = redact_links(record.msg)
    if isinstance(record.args, tuple):
        record.args = tuple(redact_links(arg) if isinstance(arg, str) else arg
                            for arg in record.args)
    elif isinstance(record.args, dict):
        record.args = {key: redact_links(value) if isinstance(value, str) else value
                       for key, value in record.args.items()}


def install_log_redaction() -> None:
    """Redact reply links from every log record as it is made, whichever logger makes it.

    Filters on named loggers miss their children (``django.security.csrf`` logs the path
    of a refused request) and handlers added later (a test's, a monitoring agent's): the
    record factory sees every record first. Called once by ``SurveysConfig.ready``.
    """
    previous = logging.getLogRecordFactory()
    if getattr(previous, "redacts_reply_links", False):
        return

    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        _redact_record(record)
        return record

    factory.redacts_reply_links = True
    logging.setLogRecordFactory(factory)


class RedactingExceptionReporter(ExceptionReporter):
    """Error reports (the e-mail to ADMINS, the DEBUG page) without reply links.

    The report shows the request's path and META (PATH_INFO, REQUEST_URI...), where a
    link to /r/<token>/ would stand, and (in its HTML form) the local variables of every
    frame, among them Django's own ``callback_kwargs``: the token the URL carried is
    replaced wherever it appears, with or without /r/ before it.
    """

    def _redact(self, text: str) -> str:
        match = getattr(self.request, "resolver_match", None)
        token = match.kwargs.get("token") if match is not None else None
        if isinstance(token, str) and len(token) >= 8:  # shorter: no link, and not worth it
            text = text.replace(token, "[redacted]")
        return redact_links(text)

    def get_traceback_html(self):
        return self._redact(super().get_traceback_html())

    def get_traceback_text(self):
        return self._redact(super().get_traceback_text())


class RedactReplyLinks(logging.Filter):
    """A logging filter that removes reply-link tokens from a record's message.

    Django's request logger writes "Not Found: /r/<token>/" for a bad link, and the
    development server logs every request line; configured on the ``django.request``
    and ``django.server`` loggers and on the console handler (see ``LOGGING`` in
    settings), behind ``install_log_redaction``, and redacting tracebacks as well.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        _redact_record(record)
        if record.exc_info and not record.exc_text:
            # A traceback's text may quote a path: format it here, redacted, once.
            record.exc_text = redact_links(logging.Formatter().formatException(
                record.exc_info))
        return True
