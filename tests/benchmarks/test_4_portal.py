"""4. The reply portal under load: 20 clients submitting replies to gunicorn on PostgreSQL.

gunicorn (4 sync workers, persistent database connections, DEBUG off) serves
Inquiry. Each client opens its States' personal links and their reply forms
(untimed), then submits the 20-question replies one after another (timed): the
throughput is submissions per second, with the latency of each POST. The floor is
the same server answering a no-op Django view (the same middleware) to the same 20
clients. Afterwards the database must hold exactly one submitted version per reply
sent, even for the submissions pressed twice.

A third line, for understanding rather than as a goal: the same clients posting the
same forms to a view that only commits the answers as rows (``write_floor`` in
``tests/benchmarks/urls.py``), the least a server can do that durably records a
reply. Where it stands between the no-op view and the portal tells how much of the
gap is the database's and how much is Inquiry's.
"""

from __future__ import annotations

import datetime as dt
import http.client
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse

import pytest
from django.conf import settings
from django.db import connection

from surveys.models import Questionnaire, Recipient, ResponseVersion
from surveys.services.tokens import recipient_token_reset
from tests.benchmarks.generator import QUESTIONS, questionnaire_create
from tests.benchmarks.urls import WRITE_FLOOR_TABLE

CLIENTS = 20
PER_CLIENT = int(os.environ.get("BENCH_PORTAL_PER_CLIENT", "25"))
NOOP_PER_CLIENT = 200
ANSWERS = {"text": "Our Government finds the Global Forum a useful outcome.",
           "yes_no": "yes", "single": "forum", "multiple": ["forum", "agenda"],
           "number": "3", "date": "2008-04-30"}
_INPUT = re.compile(r'name="(csrfmiddlewaretoken|portal-key)" value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self):
        self.port = _free_port()
        database = connection.settings_dict
        url = (f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@"
               f"{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{database['NAME']}")
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.benchmarks.server_settings",
               "DATABASE_URL": url, "DEBUG": "false", "SECRET_KEY": settings.SECRET_KEY,
               "ALLOWED_HOSTS": "127.0.0.1", "SECURE_SSL_REDIRECT": "false",
               "SESSION_COOKIE_SECURE": "false", "CSRF_COOKIE_SECURE": "false",
               "SECURE_HSTS_SECONDS": "0", "CONN_MAX_AGE": "60", "LOG_LEVEL": "ERROR"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind",
             f"127.0.0.1:{self.port}", "--workers", "4", "--log-level", "warning"],
            cwd=settings.BASE_DIR, env=env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if self.request("GET", "/bench/noop/")[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not start")

    def request(self, method, path, *, body=None, cookies=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Host": "127.0.0.1"}
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        if body is not None:
            body = urllib.parse.urlencode(body, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            set_cookies = {}
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    key, _, rest = value.partition("=")
                    set_cookies[key] = rest.split(";", 1)[0]
            return response.status, response.getheader("Location"), data, set_cookies
        finally:
            conn.close()

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture(scope="module")
def portal(scale):
    if connection.vendor != "postgresql":
        pytest.skip("the portal load test needs PostgreSQL: set DATABASE_URL (make bench uses "
                    "the local PostgreSQL when it is reachable)")
    questionnaire = questionnaire_create("BENCH-PORTAL")
    today = dt.date.today()
    Questionnaire.objects.filter(pk=questionnaire.pk).update(
        sent_on=today - dt.timedelta(days=10), deadline=today + dt.timedelta(days=30),
        cutoff=today + dt.timedelta(days=60))
    tokens = []
    recipients = []
    for state_id in scale.states[:CLIENTS * PER_CLIENT]:
        recipient = Recipient(questionnaire=questionnaire, state_id=state_id)
        tokens.append(recipient_token_reset(recipient, save=False))
        recipients.append(recipient)
    Recipient.objects.bulk_create(recipients)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {WRITE_FLOOR_TABLE} (id bigserial PRIMARY "
                       "KEY, reply text NOT NULL, question text NOT NULL, answer text NOT NULL)")
    server = Server()
    yield questionnaire, tokens, server
    server.stop()


def _form_data(keys) -> dict:
    data = {code: ANSWERS[str(kind)] for code, kind in QUESTIONS}
    return {**data, **keys, "portal-action": "submit"}


def _open(server, token):
    status, location, _, cookies = server.request("GET", f"/r/{token}/")
    assert status == 302, status
    status, _, page, more = server.request("GET", location, cookies=cookies)
    assert status == 200, status
    cookies.update(more)
    return cookies, dict(_INPUT.findall(page.decode()))


def _run(clients, work):
    """Run ``work(client)`` in ``clients`` threads at once; the wall time."""
    threads = [threading.Thread(target=work, args=(n,)) for n in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start


def test_portal_under_load_against_noop(portal, table):
    questionnaire, tokens, server = portal
    prepared = [[] for _ in range(CLIENTS)]
    errors = []

    def prepare(client):
        try:
            for token in tokens[client::CLIENTS]:
                prepared[client].append(_open(server, token))
        except Exception as exc:  # reported below, with the others
            errors.append(repr(exc))

    _run(CLIENTS, prepare)
    assert not errors, errors[:3]

    latencies, statuses = [], []

    def submit(client):
        for cookies, keys in prepared[client]:
            start = time.perf_counter()
            status, location, _, _ = server.request("POST", "/reply/", body=_form_data(keys),
                                                    cookies=cookies)
            latencies.append(time.perf_counter() - start)
            statuses.append((status, location))

    seconds = _run(CLIENTS, submit)
    sent = sum(len(p) for p in prepared)
    assert statuses.count((302, "/reply/received/")) == sent, statuses[:5]

    # A second press of Submit (the same form, the same key) records nothing new.
    def again(client):
        cookies, keys = prepared[client][0]
        server.request("POST", "/reply/", body=_form_data(keys), cookies=cookies)

    _run(CLIENTS, again)
    versions = ResponseVersion.objects.filter(response__recipient__questionnaire=questionnaire)
    per_reply = list(versions.values_list("response__recipient_id", flat=True))
    lost, duplicated = sent - len(set(per_reply)), len(per_reply) - len(set(per_reply))

    noop_latencies = []

    def noop(client):
        for _ in range(NOOP_PER_CLIENT):
            start = time.perf_counter()
            status, *_ = server.request("GET", "/bench/noop/")
            noop_latencies.append(time.perf_counter() - start)
            assert status == 200

    noop_seconds = _run(CLIENTS, noop)

    floor_latencies = []

    def write_floor(client):
        for _cookies, keys in prepared[client]:
            start = time.perf_counter()
            status, *_ = server.request("POST", "/bench/write-floor/", body=_form_data(keys))
            floor_latencies.append(time.perf_counter() - start)
            assert status == 200

    floor_seconds = _run(CLIENTS, write_floor)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(DISTINCT reply) FROM {WRITE_FLOOR_TABLE}")  # noqa: S608
        assert cursor.fetchone()[0] == sent
    floor_rate = sent / floor_seconds
    rate, noop_rate = sent / seconds, CLIENTS * NOOP_PER_CLIENT / noop_seconds
    quantiles = statistics.quantiles(latencies, n=20)
    noop_quantiles = statistics.quantiles(noop_latencies, n=20)
    share = rate / noop_rate
    table.add(f"4 portal: {CLIENTS} clients submitting {sent} replies vs a no-op view "
              "(requests/s)", inquiry=rate, floor=noop_rate, ratio=share,
              goal="≥ 50% of no-op", met=share >= 0.5, unit="/s",
              note=f"latency p50 {statistics.median(latencies) * 1000:.0f} ms, p95 "
                   f"{quantiles[18] * 1000:.0f} ms (no-op: p50 "
                   f"{statistics.median(noop_latencies) * 1000:.0f} ms, p95 "
                   f"{noop_quantiles[18] * 1000:.0f} ms); lost {lost}, duplicated "
                   f"{duplicated} (counted in the database)")
    table.add(f"4 for reference: the same {sent} replies only committed as rows by a minimal "
              "view, vs the no-op view", inquiry=floor_rate, floor=noop_rate,
              ratio=floor_rate / noop_rate, goal="no goal", met=None, unit="/s",
              note=f"latency p50 {statistics.median(floor_latencies) * 1000:.0f} ms; the portal "
                   f"runs at {rate / floor_rate:.2f}× this minimal write")
    table.add("4 portal: replies lost or duplicated (database count)", inquiry=lost + duplicated,
              floor=0, ratio=None, goal="0", met=lost + duplicated == 0, unit="")
    assert lost == 0 and duplicated == 0
