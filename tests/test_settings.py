"""Production differs from development only by environment variables."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _manage(*args, env):
    clean = {k: v for k, v in os.environ.items()
             if k not in ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_SETTINGS_MODULE",
                          "DJANGO_ALLOW_ASYNC_UNSAFE")}  # set by the browser tests
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env},
                          capture_output=True, text=True, timeout=120)


def test_production_settings_pass_check_deploy():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env={
        "DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "inquiry.example.org"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage("check", env={"DEBUG": "false", "ALLOWED_HOSTS": "inquiry.example.org"})
    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


def test_admins_come_from_the_environment_and_a_bad_address_stops_the_start():
    show = ("shell", "--no-imports", "-c",
            "from django.conf import settings; print(settings.ADMINS)")
    result = _manage(*show, env={"ADMINS": "Inquiry operations <ops@example.org>, "
                                           "jane@example.org"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ("[('Inquiry operations', 'ops@example.org'), "
                                     "('jane@example.org', 'jane@example.org')]")
    assert _manage(*show, env={}).stdout.strip() == "[]"
    result = _manage(*show, env={"ADMINS": "Operations"})
    assert result.returncode != 0
    assert "ADMINS: “Operations” is not an e-mail address" in result.stderr
