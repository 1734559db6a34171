"""5. The outbox: 10,000 queued e-mails delivered to a local SMTP sink (aiosmtpd).

Inquiry: ``outbox_send`` (post_office's delivery, with its records and retries) of
10,000 e-mails queued as a wave queues them. Floor: a raw smtplib loop sending the
same 10,000 messages over one connection. Both go to the same sink, an aiosmtpd
server in its own process.
"""

from __future__ import annotations

import logging
import os
import smtplib
import socket
import subprocess
import sys
import time
from email.message import EmailMessage

import pytest
from post_office import mail
from post_office.models import STATUS, Email

from surveys.services.outbox import outbox_send
from tests.benchmarks.measure import measure

MESSAGES = int(os.environ.get("BENCH_EMAILS", "10000"))
SENDER = "Inquiry <inquiry@localhost>"
BODY = ("Excellency,\n\nThe Under-Secretary-General presents his compliments and has the "
        "honour to transmit the questionnaire on the follow-up to the High-level Dialogue on "
        "International Migration and Development.\n\nPlease reply by 30 April.\n") * 3


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def sink():
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l",
                                f"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Sink"])
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
                smtp.noop()
            break
        except OSError:
            time.sleep(0.1)
    yield port
    process.terminate()
    process.wait(timeout=10)


def raw_send(port: int) -> None:
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for n in range(MESSAGES):
            message = EmailMessage()
            message["From"], message["To"] = SENDER, f"mission{n}@example.org"
            message["Subject"] = "Questionnaire on international migration and development"
            message.set_content(BODY)
            smtp.send_message(message)


def test_outbox_against_raw_smtplib(scale, sink, settings, table, caplog):
    caplog.set_level(logging.WARNING, logger="post_office")  # a line per batch otherwise
    logging.getLogger("post_office").setLevel(logging.WARNING)
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.POST_OFFICE = {**settings.POST_OFFICE, "BACKENDS": {
        "default": "django.core.mail.backends.smtp.EmailBackend"}}

    def queue():
        Email.objects.all().delete()
        mail.send_many([{"sender": SENDER, "recipients": [f"mission{n}@example.org"],
                         "subject": "Questionnaire on international migration and development",
                         "message": BODY, "priority": "medium"} for n in range(MESSAGES)])

    floor = measure(lambda: raw_send(sink))
    run = measure(lambda: outbox_send(lockfile=None), before=queue, name="outbox")
    assert run.result.sent == MESSAGES, run.result
    assert Email.objects.filter(status=STATUS.sent).count() == MESSAGES
    rate, raw_rate = MESSAGES / run.seconds, MESSAGES / floor.seconds
    table.add(f"5 outbox: {MESSAGES:,} e-mails to an SMTP sink vs raw smtplib (messages/s)",
              inquiry=rate, floor=raw_rate, ratio=rate / raw_rate, goal="≥ 0.5× raw",
              met=rate / raw_rate >= 0.5, unit="/s", peak_mb=run.peak_mb,
              note=f"{run.seconds:.1f} s against {floor.seconds:.1f} s")
