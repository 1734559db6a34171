"""The outbox against a real SMTP server on the loopback (aiosmtpd).

An invitation queued by a wave arrives in the contact's language and its link opens
the reply portal on the right State; an SMTP outage in the middle of a wave leaves
the rest queued with the error logged, and a retry delivers each exactly once; an
address the server refuses for good (5xx) fails at once, with the error shown.
"""

from __future__ import annotations

import datetime
import email
import email.policy
import io
import re
from collections import Counter
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.urls import reverse
from post_office import mail
from post_office.models import STATUS, Email

from surveys.models import Dispatch
from surveys.services.dispatch import dispatch_create
from surveys.services.outbox import messages_with_status, outbox_send
from surveys.services.recipients import recipients_add
from tests.smtp_sink import SmtpServer as Server
from tests.smtp_sink import free_port
from tests.surveys.test_dispatch import (
    LINK,
    ensure_message_templates,
    make_contacts,
    make_questionnaire,
)

WAVE = ["FRA", "GBR", "MEX", "CHN", "EGY", "SEN", "BRA", "IND"]


class Mailbox:
    """An aiosmtpd handler: keeps what it accepts; can refuse addresses or go down."""

    def __init__(self):
        self.envelopes = []
        self.accept_limit: int | None = None  # after this many messages: 421, "try later"
        self.refused: set[str] = set()  # addresses refused for good: 550

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.accept_limit is not None and len(self.envelopes) >= self.accept_limit:
            return "421 4.3.2 Service not available, closing transmission channel"
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def per_address(self) -> Counter:
        return Counter(address for env in self.envelopes for address in env.rcpt_tos)

    def message_to(self, address) -> email.message.EmailMessage:
        [envelope] = [env for env in self.envelopes if address in env.rcpt_tos]
        return email.message_from_bytes(envelope.content, policy=email.policy.default)




@pytest.fixture
def smtp(settings, db):
    """A real SMTP server on 127.0.0.1, and the outbox delivering to it (no retry delay)."""
    ensure_message_templates()
    server = Server(Mailbox(), free_port())
    server.start()
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    settings.POST_OFFICE = {
        **settings.POST_OFFICE,
        "BACKENDS": {"default": "django.core.mail.backends.smtp.EmailBackend"},
        "RETRY_INTERVAL": datetime.timedelta(0),
        "MAX_RETRIES": 3,
    }
    yield server
    server.stop()


def wave(registry, states, *, language="en") -> Dispatch:
    questionnaire = make_questionnaire()
    for iso3 in states:
        make_contacts(registry[iso3], language=language, focal_point=False)
    recipients_add(questionnaire=questionnaire, states=[registry[i] for i in states])
    return dispatch_create(questionnaire=questionnaire, kind="invitation", channels=["email"])


def statuses(dispatch) -> dict[str, tuple]:
    rows = messages_with_status(dispatch.messages.all()).values_list(
        "address", "delivery_status", "delivery_attempts", "delivery_error")
    return {address: (status, attempts, error) for address, status, attempts, error in rows}


def test_the_invitation_arrives_in_french_and_its_link_opens_the_right_state(
        smtp, registry, client):
    make_contacts(registry["GBR"], focal_point=False)
    dispatch = wave(registry, ["SEN"], language="fr")
    recipients_add(questionnaire=dispatch.questionnaire, states=[registry["GBR"]])
    dispatch_create(questionnaire=dispatch.questionnaire, kind="invitation", channels=["email"],
                    recipients=dispatch.questionnaire.recipients.filter(state__iso3="GBR"))
    assert smtp.mailbox.envelopes == []  # queuing sent nothing

    result = outbox_send(lockfile=None)

    assert (result.sent, result.failed, result.requeued) == (2, 0, 0)
    message = smtp.mailbox.message_to("pr@sen.example.org")
    assert message["Subject"].strip().startswith("Questionnaire « Suite donnée au Dialogue")
    assert message["Content-Language"] == "fr"
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "J'ai l'honneur d'inviter votre gouvernement à répondre au questionnaire" in body
    assert "Sénégal" in body and "30 avril 2008" in body
    assert "English" not in body and "I have the honour" not in body

    [link] = LINK.findall(body)
    response = client.get(urlsplit(link).path, follow=True)
    assert response.redirect_chain[-1][0] == "/reply/"
    html = response.content.decode()
    assert re.search(r'data-testid="state-name">\s*Sénégal\s*<', html)  # in French
    assert urlsplit(link).path not in html  # the token left the address bar


def test_an_outage_in_the_middle_of_a_wave_is_retried_and_each_arrives_once(smtp, registry):
    dispatch = wave(registry, WAVE)
    smtp.mailbox.accept_limit = 3  # the server takes three, then fails

    during = outbox_send(lockfile=None)

    assert during.sent == 3 and during.failed == 0
    after_outage = statuses(dispatch)
    waiting = {a for a, (status, *_rest) in after_outage.items() if status == "requeued"}
    assert len(waiting) == 5
    for address in waiting:
        _status, attempts, error = after_outage[address]
        assert attempts >= 1 and "421" in error
    assert Email.objects.filter(status=STATUS.requeued).count() == 5

    smtp.mailbox.accept_limit = None  # the server is back
    retry = outbox_send(lockfile=None)

    assert retry.sent == 5
    expected = {f"pr@{iso3.lower()}.example.org" for iso3 in WAVE}
    assert smtp.mailbox.per_address() == Counter({address: 1 for address in expected})
    assert {status for status, *_rest in statuses(dispatch).values()} == {"sent"}
    assert outbox_send(lockfile=None).sent == 0  # nothing left, nothing sent twice


def test_a_server_that_is_down_leaves_everything_queued_until_it_is_back(smtp, registry):
    dispatch = wave(registry, WAVE[:4])
    smtp.stop()

    down = outbox_send(lockfile=None)

    assert (down.sent, down.requeued) == (0, 4)
    for status, attempts, error in statuses(dispatch).values():
        assert (status, attempts) == ("requeued", 1)
        assert "refused" in error.lower()

    smtp.start()
    back = outbox_send(lockfile=None)

    assert back.sent == 4
    assert set(smtp.mailbox.per_address().values()) == {1}
    assert len(smtp.mailbox.per_address()) == 4


def test_an_address_refused_for_good_fails_at_once_with_the_error(smtp, registry):
    dispatch = wave(registry, ["FRA", "GBR", "TCD"])
    smtp.mailbox.refused = {"pr@tcd.example.org"}

    result = outbox_send(lockfile=None)

    assert (result.sent, result.failed, result.refused, result.requeued) == (2, 1, 1, 0)
    status, attempts, error = statuses(dispatch)["pr@tcd.example.org"]
    assert (status, attempts) == ("failed", 1)
    assert "550" in error and "mailbox unavailable" in error
    assert outbox_send(lockfile=None).sent == 0  # not retried
    assert smtp.mailbox.per_address()["pr@tcd.example.org"] == 0

    # History survives post_office's cleanup_mail, which deletes old e-mails.
    Email.objects.all().delete()
    after = statuses(dispatch)
    assert after["pr@tcd.example.org"][0] == "failed" and "550" in after["pr@tcd.example.org"][2]
    assert after["pr@fra.example.org"][:1] == ("sent",)
    assert dispatch.messages.get(address="pr@fra.example.org").sent_at is not None


def test_send_outbox_prints_what_it_did(smtp, registry, tmp_path):
    wave(registry, ["FRA", "GBR"])
    out = io.StringIO()

    call_command("send_outbox", lockfile=str(tmp_path / "outbox"), stdout=out,
                 stderr=io.StringIO())

    assert "Sent: 2. Failed: 0 (refused by the server: 0). To retry later: 0." in out.getvalue()
    assert "Outbox now: 0 queued, 0 waiting to be retried, 0 failed." in out.getvalue()
    assert len(smtp.mailbox.envelopes) == 2
    again = io.StringIO()
    call_command("send_outbox", lockfile=str(tmp_path / "outbox"), stdout=again)
    assert "Nothing to send." in again.getvalue()


def test_send_again_queues_the_email_for_the_worker_and_only_on_post(smtp, admin_client):
    mail.send(recipients=["pr@sen.example.org"], sender="inquiry@un.example.org",
              subject="Programme of the meeting", message="The programme is attached.")
    assert outbox_send(lockfile=None).sent == 1
    sent = Email.objects.get()
    page = admin_client.get(reverse("admin:post_office_email_change", args=[sent.pk]))
    assert f'action="{reverse("admin:resend", args=[sent.pk])}"' in page.content.decode()
    assert 'name="csrfmiddlewaretoken"' in page.content.decode()

    # A link (a GET, e.g. from a mail client's preview or a crawler) sends nothing.
    assert admin_client.get(reverse("admin:resend", args=[sent.pk])).status_code == 405
    sent.refresh_from_db()
    assert sent.status == STATUS.sent

    response = admin_client.post(reverse("admin:resend", args=[sent.pk]), follow=True)
    assert "is queued again" in response.content.decode()
    sent.refresh_from_db()
    assert sent.status == STATUS.queued
    assert smtp.mailbox.per_address()["pr@sen.example.org"] == 1  # not sent by the request

    assert outbox_send(lockfile=None).sent == 1
    assert smtp.mailbox.per_address()["pr@sen.example.org"] == 2


def test_a_delivered_invitation_keeps_no_working_link_in_the_database(smtp, registry,
                                                                       admin_client, client):
    dispatch = wave(registry, ["SEN"])
    result = outbox_send(lockfile=None)
    assert (result.sent, result.links_removed) == (1, 1)

    # The State received its working link...
    delivered = smtp.mailbox.message_to("pr@sen.example.org")
    [link] = LINK.findall(delivered.get_body(preferencelist=("plain",)).get_content())
    token = urlsplit(link).path.split("/")[2]
    assert client.get(urlsplit(link).path, follow=True).redirect_chain[-1][0] == "/reply/"
    # ...but the outbox's copy of the text no longer holds it, in either version.
    stored = Email.objects.get()
    assert token not in stored.message and token not in (stored.html_message or "")
    assert "/r/[redacted]" in stored.message
    assert statuses(dispatch)["pr@sen.example.org"][0] == "sent"

    # Sending that copy again would send a dead link: staff are told to send a reminder.
    response = admin_client.post(reverse("admin:resend", args=[stored.pk]), follow=True)
    assert "send it a reminder" in response.content.decode()
    stored.refresh_from_db()
    assert stored.status == STATUS.sent
    assert outbox_send(lockfile=None).sent == 0


def test_links_are_removed_from_the_html_text_too_and_only_once_delivered(smtp):
    html = '<p><a href="https://inquiry.example.org/r/AbC-123_x/">Reply</a></p>'
    for to in ("a@un.example.org", "b@un.example.org"):
        mail.send(recipients=[to], sender="inquiry@un.example.org", subject="Your link",
                  message="https://inquiry.example.org/r/AbC-123_x/", html_message=html)
    smtp.mailbox.refused = {"b@un.example.org"}  # refused: fails, keeps its link
    outbox_send(lockfile=None)
    delivered = Email.objects.get(to=["a@un.example.org"])
    refused = Email.objects.get(to=["b@un.example.org"])
    assert delivered.status == STATUS.sent and refused.status == STATUS.failed
    assert delivered.html_message == ('<p><a href="https://inquiry.example.org/r/[redacted]/">'
                                      'Reply</a></p>')
    assert "AbC-123_x" not in delivered.message
    assert refused.html_message == html  # queued again later, it must still work
