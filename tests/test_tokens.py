"""Personal reply links: where a token may go, and where it never does.

A link is a 256-bit token. Guessing is throttled per client; the token leaves the
address bar at once and is never sent as a Referer, never written to a log line and
never shown in an error report; a revoked, replaced or expired link is refused like a
wrong one; and every link is built from SITE_URL, whatever Host the request named.
Links expire REPLY_LINK_GRACE_DAYS after the questionnaire's cut-off (docs/security.md).
"""

from __future__ import annotations

import datetime
import logging
import time

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import set_script_prefix
from django.utils import timezone
from post_office.models import Email

from surveys import throttle
from surveys.models import Dispatch, Message, Questionnaire, Recipient
from surveys.services.dispatch import dispatch_create
from surveys.services.recipients import recipient_regenerate_link
from surveys.services.tokens import recipient_link, recipient_token
from surveys.throttle import MAX_ATTEMPTS, WINDOW
from tests.surveys.test_dispatch import ensure_message_templates
from tests.surveys.test_portal import make_portal_questionnaire, make_recipient, post_reply

SITE = "https://inquiry.example.org"
PORTAL_POLICIES = {"no-referrer", "same-origin"}  # neither sends a Referer to another site


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def questionnaire(db):
    return make_portal_questionnaire()


@pytest.fixture
def link(registry, questionnaire) -> tuple[Recipient, str]:
    return make_recipient(questionnaire, registry["SEN"], language="fr")


def opens(client, token) -> bool:
    response = client.get(f"/r/{token}/")
    return response.status_code == 302 and response["Location"] == "/reply/" \
        and client.get("/reply/").status_code == 200


# --- guessing is throttled ---------------------------------------------------------------------


def _guess(client, n, prefix="guess"):
    return [client.get(f"/r/{prefix}-{i}-{'x' * 40}/").status_code for i in range(n)]


def test_guessing_is_throttled_then_allowed_again_after_the_window(link, monkeypatch):
    _recipient, token = link
    assert set(_guess(Client(), MAX_ATTEMPTS)) == {404}
    blocked = Client().get(f"/r/{token}/")  # a valid link too, from the same address
    assert blocked.status_code == 429
    assert 0 < int(blocked["Retry-After"]) <= WINDOW

    later = time.time() + WINDOW + 1
    monkeypatch.setattr(time, "time", lambda: later)  # the cache's clock and the throttle's
    assert opens(Client(), token)


def test_the_window_holds_on_caches_whose_incr_resets_the_timeout(link, settings, tmp_path,
                                                                 monkeypatch):
    """The file and database caches implement incr() as get + set (default timeout 300 s):
    the count must still last the whole window."""
    settings.CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(tmp_path / "cache")}}
    from django.core.cache import caches

    monkeypatch.setattr(throttle, "cache", caches["default"])
    _recipient, token = link
    _guess(Client(), MAX_ATTEMPTS)
    later = time.time() + 400  # past the default timeout, within the window
    monkeypatch.setattr(time, "time", lambda: later)
    assert Client().get(f"/r/{token}/").status_code == 429


def test_an_ipv6_client_is_counted_by_its_64_network(link):
    _recipient, token = link
    for i in range(MAX_ATTEMPTS):  # a new address each time, all in one /64
        Client(REMOTE_ADDR=f"2001:db8:1:2::{i + 1:x}").get(f"/r/guess-{i}-{'y' * 40}/")
    assert Client(REMOTE_ADDR="2001:db8:1:2:ffff::9").get(f"/r/{token}/").status_code == 429
    assert opens(Client(REMOTE_ADDR="2001:db8:1:3::1"), token)  # another subscriber


def test_an_ipv4_client_seen_through_ipv6_is_the_same_client(link):
    _recipient, token = link
    _guess(Client(REMOTE_ADDR="192.0.2.44"), MAX_ATTEMPTS)
    assert Client(REMOTE_ADDR="::ffff:192.0.2.44").get(f"/r/{token}/").status_code == 429


# --- never in a Referer, never in an address -----------------------------------------------------


def test_every_portal_response_keeps_the_referer_to_the_site(link):
    recipient, token = link
    client = Client()
    token_pages = [client.get("/r/not-a-link/"), client.post(f"/r/{token}/"),
                   client.get(f"/r/{token}/")]
    pages = [client.get("/reply/"), client.get("/reply/?language=en"),
             post_reply(client, "draft", forum_useful="Brouillon."),
             post_reply(client, forum_useful="Oui.", sole_followup="yes"),
             client.get("/reply/received/"), client.post("/reply/decline/", {}),
             client.get("/reply/declined/"), Client().get("/reply/")]
    throttled = Client(REMOTE_ADDR="192.0.2.50")
    _guess(throttled, MAX_ATTEMPTS)
    token_pages.append(throttled.get(f"/r/{token}/"))
    assert {p.status_code for p in token_pages} == {302, 404, 405, 429}

    for page in token_pages:  # the only addresses that hold a token send no Referer at all
        assert page["Referrer-Policy"] == "no-referrer", page
    for page in pages:
        assert page["Referrer-Policy"] in PORTAL_POLICIES, page
        assert token not in page.content.decode()
        assert token not in page.get("Location", "")


def test_after_the_redirect_no_address_holds_the_token(link):
    _recipient, token = link
    client = Client()
    page = client.get(f"/r/{token}/", follow=True)
    assert page.redirect_chain == [("/reply/", 302)]
    assert token not in page.request["PATH_INFO"] and token not in page.content.decode()
    submitted = client.post("/reply/", {"portal-action": "submit",
                                        "portal-key": "6f1d3b0e-8c55-4f0e-9d1a-2f1d3b0e8c55",
                                        "forum_useful": "Oui."}, follow=True)
    for url, _status in submitted.redirect_chain:
        assert token not in url
    assert token not in str(dict(client.session.items()))


# --- never in a log line -----------------------------------------------------------------------


def test_no_log_line_holds_a_link_whichever_logger_writes_it(link, caplog):
    _recipient, token = link
    loggers = ["django.request", "django.server", "django.security", "django.security.csrf",
               "django.security.DisallowedHost", ""]
    with caplog.at_level(logging.DEBUG):
        for name in loggers:
            caplog.set_level(logging.DEBUG, logger=name)
        Client().get("/r/a-guessed-token-value-1234567890/")
        Client().post(f"/r/{token}/")  # 405
        Client(enforce_csrf_checks=True).post("/reply/", {"x": f"/r/{token}/"})  # CSRF
        _guess(Client(REMOTE_ADDR="192.0.2.60"), MAX_ATTEMPTS + 1)  # 429, logged
        # Django's CSRF and security loggers name the path of what they refuse.
        logging.getLogger("django.security.csrf").warning("Forbidden (%s): %s", "CSRF",
                                                          f"/r/{token}/")
        logging.getLogger("django.security.DisallowedHost").error(
            "Invalid HTTP_HOST header for %(path)s", {"path": f"/r/{token}/"})
        logging.getLogger("inquiry.anything").info(f"GET /r/{token}/ 302")
        opens(Client(), token)
    text = caplog.text + " ".join(r.getMessage() for r in caplog.records)
    assert "/r/[redacted]/" in text
    assert token not in text and "a-guessed-token-value" not in text

    # Redacted as the record is made, before any handler (Django's own DEBUG console
    # handler on the "django" logger has no filter of ours) sees it.
    record = logging.getLogRecordFactory()(
        "django.security.csrf", logging.WARNING, __file__, 1, "Forbidden (%s): %s",
        ("CSRF cookie not set.", f"/r/{token}/"), None)
    assert record.getMessage() == "Forbidden (CSRF cookie not set.): /r/[redacted]/"


# --- never in an error report ------------------------------------------------------------------


@pytest.fixture
def error_mail(settings):
    settings.ADMINS = [("Operations", "ops@example.org")]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DEBUG = False
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    handlers = [h for h in logging.getLogger("django").handlers
                if h.__class__.__name__ == "AdminEmailHandler"]
    assert handlers, "the error e-mail to ADMINS is not configured"
    for handler in handlers:  # the HTML report too, which shows every frame's variables
        handler.include_html, was = True, handler.include_html
    yield mail.outbox
    for handler in handlers:
        handler.include_html = was


def _report_text(message) -> str:
    parts = [message.subject, message.body]
    parts += [content for content, _mime in getattr(message, "alternatives", [])]
    return "\n".join(parts)


def test_an_error_while_opening_a_link_reports_no_token(link, error_mail, monkeypatch):
    _recipient, token = link

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("surveys.views.portal.redirect", broken)  # after the token is checked
    response = Client(raise_request_exception=False).get(f"/r/{token}/")
    assert response.status_code == 500
    [report] = error_mail
    text = _report_text(report)
    assert "the database went away" in text and "/r/[redacted]/" in text
    assert token not in text


def test_an_error_after_the_token_is_in_the_session_reports_neither_token_nor_session(
        link, error_mail, monkeypatch):
    _recipient, token = link
    client = Client(raise_request_exception=False)
    assert opens(client, token)

    def broken(*args, **kwargs):
        raise RuntimeError("the form could not be built")

    monkeypatch.setattr("surveys.views.portal.reply_language", broken)
    assert client.get("/reply/").status_code == 500
    [report] = error_mail
    text = _report_text(report)
    assert "the form could not be built" in text
    assert token not in text
    assert client.cookies[django_settings.SESSION_COOKIE_NAME].value not in text


# --- revoked, replaced and expired links are refused -------------------------------------------


def test_revoked_and_replaced_links_are_refused_and_end_their_sessions(link):
    recipient, token = link
    session = Client()
    assert opens(session, token)
    Recipient.objects.filter(pk=recipient.pk).update(link_revoked=True)
    assert Client().get(f"/r/{token}/").status_code == 404
    assert session.get("/reply/").status_code == 403

    recipient.refresh_from_db()
    new_link = recipient_regenerate_link(recipient=recipient)  # also lifts the revocation
    assert Client().get(f"/r/{token}/").status_code == 404
    assert opens(Client(), new_link.rsplit("/r/", 1)[1].strip("/"))


def _cutoff_days_ago(questionnaire, days):
    cutoff = timezone.localdate() - datetime.timedelta(days=days)
    Questionnaire.objects.filter(pk=questionnaire.pk).update(
        deadline=cutoff - datetime.timedelta(days=30), cutoff=cutoff)


def test_a_link_works_read_only_for_the_grace_period_then_expires(link, questionnaire,
                                                                  settings):
    settings.REPLY_LINK_GRACE_DAYS = 30
    recipient, token = link
    session = Client()
    assert opens(session, token)
    post_reply(session, forum_useful="Réponse.", sole_followup="no")

    _cutoff_days_ago(questionnaire, 30)  # the last day of the grace period
    assert "Réponse." in session.get("/reply/").content.decode()
    assert opens(Client(), token)
    assert post_reply(session, forum_useful="Trop tard.").status_code == 403

    _cutoff_days_ago(questionnaire, 31)
    refused = Client().get(f"/r/{token}/")
    assert refused.status_code == 404
    assert "This link is not valid." in refused.content.decode()
    assert session.get("/reply/").status_code == 403  # the open session ends too


def test_without_a_cutoff_a_link_does_not_expire(registry):
    questionnaire = make_portal_questionnaire("NO-CUTOFF", deadline=datetime.date(2008, 4, 30),
                                              cutoff=None)
    _recipient, token = make_recipient(questionnaire, registry["MEX"])
    assert opens(Client(), token)


# --- built from SITE_URL, never from the Host header -------------------------------------------


@pytest.fixture
def evil_host(settings):
    """A deployment that trusts any Host (the mistake SITE_URL guards against)."""
    settings.SITE_URL = SITE
    settings.ALLOWED_HOSTS = ["*"]
    return {"HTTP_HOST": "evil.example", "SERVER_NAME": "evil.example"}


def test_the_links_staff_send_are_built_from_site_url(link, admin_client, evil_host):
    ensure_message_templates()
    recipient, token = link
    changelist = "/admin/surveys/recipient/"
    sent = admin_client.post(changelist, {
        "action": "send_invitation", "index": 0, "_selected_action": [recipient.pk],
        "apply": "1", "channels": [Message.Channel.EMAIL, Message.Channel.FAX],
        "include_copies": "on"}, **evil_host)
    assert sent.status_code == 302
    bodies = [e.message + (e.html_message or "") for e in Email.objects.all()]
    assert bodies and all(f"{SITE}/r/{token}/" in body for body in bodies)
    assert not any("evil.example" in body for body in bodies)

    dispatch = Dispatch.objects.get()
    letters = admin_client.get(f"/admin/surveys/dispatch/{dispatch.pk}/letters/fax/",
                               **evil_host).content.decode()
    assert f"{SITE}/r/{token}/" in letters and "evil.example" not in letters

    regenerated = admin_client.post(changelist, {
        "action": "regenerate_links", "index": 0, "_selected_action": [recipient.pk],
        "apply": "1"}, **evil_host).content.decode()
    recipient.refresh_from_db()
    assert f"{SITE}/r/{recipient_token(recipient)}/" in regenerated
    assert "evil.example" not in regenerated


def test_reminders_sent_by_the_scheduler_carry_the_same_link(link, evil_host, questionnaire):
    ensure_message_templates()
    recipient, token = link
    set_script_prefix("/served-under-a-prefix/")  # what a request's SCRIPT_NAME would set
    try:
        assert recipient_link(recipient) == f"{SITE}/r/{token}/"
    finally:
        set_script_prefix("/")
    dispatch = dispatch_create(questionnaire=questionnaire, kind=Dispatch.Kind.REMINDER,
                               channels=[Message.Channel.EMAIL], recipients=[recipient])
    assert dispatch.reached == 1
    assert all(f"{SITE}/r/{token}/" in e.message for e in Email.objects.all())


def test_behind_the_sites_own_proxy_each_client_is_counted_on_its_own(settings, rf):
    """nginx on 127.0.0.1 in front of gunicorn: without TRUSTED_PROXIES every government
    would share the proxy's address and one bad-link counter."""
    from surveys.throttle import client_address

    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    via_proxy = rf.get("/r/x/", REMOTE_ADDR="127.0.0.1",
                       HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.7")
    # The client wrote "203.0.113.9" itself; our proxy saw 198.51.100.7.
    assert client_address(via_proxy) == "198.51.100.7"
    direct = rf.get("/r/x/", REMOTE_ADDR="198.51.100.8", HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert client_address(direct) == "198.51.100.8"  # not from a proxy: the header is ignored
    settings.TRUSTED_PROXIES = []
    assert client_address(via_proxy) == "127.0.0.1"
