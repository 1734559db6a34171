"""Backup and restore: after a round trip every tally and every reply version is identical.

The 2008 demo (195 recipients, 66 replies with their versions and history, two
coders' codings and the reconciled one), a letter a State sent (a file, which no
database holds) and a history row whose staff user has since been deleted are
backed up and restored, and a fingerprint of everything the report and the record
of replies rest on is compared before and after:

- dumpdata → flush → loaddata, in this process (the JSON procedure of
  ``scripts/backup.sh`` for SQLite; it also moves a database from SQLite to
  PostgreSQL, so it runs on both);
- on SQLite, ``scripts/backup.sh`` and ``scripts/restore.sh`` into a new database
  file and an empty MEDIA_ROOT;
- on PostgreSQL, the same scripts: pg_dump -Fc of the test database, pg_restore into
  a database made for the test.

After the scripts, the restored side is read by a separate process with DATABASE_URL
and MEDIA_ROOT pointing at it, as the application would read it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from contextlib import closing
from pathlib import Path
from urllib.parse import quote

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection, transaction

from surveys.models import (
    Answer,
    Attachment,
    Contact,
    Questionnaire,
    Recipient,
    Response,
    ResponseVersion,
    State,
)

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[1]
ENGINE = settings.DATABASES["default"]["ENGINE"]
ON_SQLITE = ENGINE == "django.db.backends.sqlite3"
ON_POSTGRESQL = ENGINE == "django.db.backends.postgresql"
BASH = shutil.which("bash") or "/bin/bash"
LETTER = b"%PDF-1.4\n% The signed letter of the Permanent Representative (test)\n%%EOF\n"


# --- the fingerprint ----------------------------------------------------------------------------


def _digest(rows) -> str:
    text = json.dumps([list(row) for row in rows], sort_keys=True, default=str,
                      ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _frame(frame) -> str:
    return frame.to_json(orient="split", date_format="iso", force_ascii=False)


def fingerprint() -> dict:
    """Everything a restore must keep, as plain JSON: the tallies of every questionnaire
    (as of its cut-off, overall, by region, sub-region and group; participation), every
    reply version and answer, the history rows, the files sent, the personal links, and
    the number of rows of every table that is backed up."""
    from analysis.tallies import code_tally, participation, respondents

    questionnaires = {}
    for questionnaire in Questionnaire.objects.order_by("code"):
        tallies = {"overall": _frame(code_tally(questionnaire=questionnaire))}
        for by in ("region", "subregion", "group"):
            tallies[by] = _frame(code_tally(questionnaire=questionnaire, by=by))
        seen = participation(questionnaire=questionnaire)
        questionnaires[questionnaire.code] = {
            "cutoff": str(questionnaire.cutoff), "code_tally": tallies,
            "participation": {
                "recipients": seen.recipients, "respondents": seen.respondents,
                "members": seen.members, "on_time": seen.on_time, "late": seen.late,
                "as_of": str(seen.as_of), "by_region": _frame(seen.by_region)},
            "respondents": _frame(respondents(questionnaire=questionnaire)),
        }
    versions = [
        [v.response.recipient.questionnaire.code, v.response.recipient.state.iso3, v.number,
         v.received_on.isoformat(), v.channel, v.language, v.submitted_at.isoformat(),
         str(v.submission_key), v.note, json.dumps(v.answers, sort_keys=True, ensure_ascii=False)]
        for v in ResponseVersion.objects.select_related(
            "response__recipient__state", "response__recipient__questionnaire")
        .order_by("response__recipient__questionnaire__code", "response__recipient__state__iso3",
                  "number")]
    answers = [
        [a.response.recipient.questionnaire.code, a.response.recipient.state.iso3,
         a.question.code, a.text, json.dumps(a.value, sort_keys=True, ensure_ascii=False)]
        for a in Answer.objects.select_related("response__recipient__state",
                                               "response__recipient__questionnaire", "question")
        .order_by("response__recipient__questionnaire__code", "response__recipient__state__iso3",
                  "question__order", "question__code")]
    history = {}
    for label in ("surveys.HistoricalResponse", "surveys.HistoricalAnswer",
                  "analysis.HistoricalCoding"):
        rows = apps.get_model(label).objects.order_by("history_id").values_list()
        history[label] = {"count": rows.count(), "digest": _digest(rows)}
    attachments = []
    for attachment in Attachment.objects.select_related("response__recipient__state").order_by(
            "pk"):
        with attachment.file.open("rb") as handle:
            content = hashlib.sha256(handle.read()).hexdigest()
        attachments.append([attachment.response.recipient.state.iso3, attachment.original_name,
                            attachment.size, attachment.file.name, content])
    rows = {model._meta.label: model._default_manager.count()
            for model in apps.get_models() if model._meta.app_label != "sessions"}
    links = _digest(Recipient.objects.order_by("pk").values_list(
        "pk", "token_salt", "token_hash", "link_revoked", "declined_on"))
    return json.loads(json.dumps({
        "questionnaires": questionnaires, "versions": versions, "answers": answers,
        "history": history, "attachments": attachments, "rows": rows, "links": links,
    }, default=str))


def fingerprint_of(env: dict) -> dict:
    """The fingerprint as a separate process sees the database and media ``env`` names."""
    code = ("import json, django; django.setup(); "
            "from tests.test_backup_restore import fingerprint; print(json.dumps(fingerprint()))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True,
                            capture_output=True, text=True, timeout=120)
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- the data -----------------------------------------------------------------------------------


@pytest.fixture
def demo(registry, django_user_model):
    """The 2008 demo, coded, plus a letter sent as a file and a history row pointing to a
    staff user who has since been deleted (natural keys would fail on it)."""
    from analysis.demo import coding_2008_load
    from surveys.demo.load import contacts_load, demo_2008_load
    from tests.surveys.test_dispatch import ensure_message_templates

    ensure_message_templates()  # an earlier transactional test may have flushed them
    contacts_load()
    questionnaire = demo_2008_load()["questionnaire"]
    coding_2008_load(questionnaire)

    response = (Response.objects.filter(recipient__questionnaire=questionnaire,
                                        status=Response.Status.SUBMITTED).order_by("pk").first())
    Attachment.objects.create(response=response, file=ContentFile(LETTER, name="letter.pdf"),
                              original_name="Lettre du Représentant permanent.pdf",
                              content_type="application/pdf", size=len(LETTER))
    former = django_user_model.objects.create_user("former.officer")
    response.entered_by = former
    response.save()  # a history row naming the officer
    former.delete()  # the response forgets them (SET_NULL); its history keeps the id
    return questionnaire


# --- dumpdata / loaddata ------------------------------------------------------------------------


def test_dumpdata_flush_loaddata_gives_back_every_tally_and_reply_version(demo, tmp_path):
    before = fingerprint()
    # The fingerprint sees what it should: the report's figures, the versions, the file.
    participation = before["questionnaires"]["HLD-2008"]["participation"]
    assert (participation["recipients"], participation["respondents"]) == (195, 64)
    assert len(before["versions"]) == ResponseVersion.objects.count() > 64
    assert before["history"]["surveys.HistoricalResponse"]["count"] > 0
    assert before["attachments"][0][4] == hashlib.sha256(LETTER).hexdigest()

    dump = tmp_path / "database.json.gz"
    # As scripts/backup.sh does: one read transaction, every table but sessions, the
    # primary keys as they are (content types and permissions included).
    with transaction.atomic():
        call_command("dumpdata", exclude=["sessions"], output=str(dump), verbosity=0)

    # As scripts/restore.sh does: the rows the migrations made go too, so that the
    # backup's content types and permissions come back under their own numbers.
    with transaction.atomic():
        call_command("flush", interactive=False, inhibit_post_migrate=True, verbosity=0)
        assert not State.objects.exists() and not ContentType.objects.exists()
        call_command("loaddata", str(dump), verbosity=0)
    ContentType.objects.clear_cache()

    assert fingerprint() == before
    # New rows get new numbers after the restored ones (sequences followed).
    Contact.objects.create(state=State.objects.get(iso3="FRA"), name="New contact")


# --- the scripts --------------------------------------------------------------------------------


def _env(database_url: str, media_root: Path) -> dict:
    env = {**os.environ, "DATABASE_URL": database_url, "MEDIA_ROOT": str(media_root),
           "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.pop("PYTHONWARNINGS", None)
    return env


def _script(name: str, *args, env: dict, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([BASH, str(ROOT / "scripts" / name), *map(str, args)], cwd=ROOT,
                            env={**env, "INQUIRY_PYTHON": sys.executable},
                            capture_output=True, text=True, timeout=180)
    if check:
        assert result.returncode == 0, f"{name} failed:\n{result.stdout}\n{result.stderr}"
    return result


def _backup_and_restore(source_env: dict, target_env: dict, tmp_path: Path) -> Path:
    made = _script("backup.sh", tmp_path / "backups", env=source_env)
    backup = Path(made.stdout.strip().splitlines()[-1])
    assert (backup / "SHA256SUMS").exists() and (backup / "media.tar.gz").exists()
    _script("restore.sh", backup, env=target_env)
    return backup


def _refused_a_second_time(backup: Path, target_env: dict) -> None:
    """Restoring over the restored data is refused without --force."""
    again = _script("restore.sh", backup, env=target_env, check=False)
    assert again.returncode != 0
    assert "--force" in again.stderr
    assert "not empty" in again.stderr or "already has" in again.stderr


@pytest.mark.skipif(not ON_SQLITE, reason="the SQLite scripts test; PostgreSQL has its own")
def test_the_scripts_back_up_and_restore_sqlite_and_the_files(demo, tmp_path):
    before = fingerprint()
    # The test database lives in memory: a copy in a file is what backup.sh reads.
    source = tmp_path / "source.sqlite3"
    connection.ensure_connection()
    with closing(sqlite3.connect(source)) as copy:
        connection.connection.backup(copy)
    restored_media = tmp_path / "restored-media"
    target_env = _env(f"sqlite:///{tmp_path / 'restored.sqlite3'}", restored_media)

    backup = _backup_and_restore(_env(f"sqlite:///{source}", settings.MEDIA_ROOT), target_env,
                                 tmp_path)

    assert (backup / "database.json.gz").exists()
    assert fingerprint_of(target_env) == before
    letter = next((restored_media / "private" / "attachments").rglob("*.pdf"))
    assert letter.read_bytes() == LETTER
    _refused_a_second_time(backup, target_env)


def _postgres_url(settings_dict: dict, name: str) -> str:
    user = quote(settings_dict.get("USER") or "", safe="")
    password = settings_dict.get("PASSWORD") or ""
    credentials = f"{user}:{quote(password, safe='')}@" if password else f"{user}@"
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or "5432"
    return f"postgres://{credentials}{host}:{port}/{name}"


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is missing: install the PostgreSQL client (postgresql-client).")
    return found


def _pg_client_env(settings_dict: dict) -> dict:
    env = dict(os.environ)
    for key, variable in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"),
                          ("PASSWORD", "PGPASSWORD")):
        if settings_dict.get(key):
            env[variable] = str(settings_dict[key])
    return env


@pytest.mark.skipif(not ON_POSTGRESQL, reason="pg_dump and pg_restore need PostgreSQL")
def test_the_scripts_pg_dump_and_pg_restore_into_a_fresh_database(demo, tmp_path):
    before = fingerprint()
    settings_dict = connection.settings_dict
    fresh = f"inquiry_restore_{uuid.uuid4().hex[:10]}"
    client_env = _pg_client_env(settings_dict)
    subprocess.run([_pg_tool("createdb"), fresh], env=client_env, check=True, timeout=60)
    try:
        restored_media = tmp_path / "restored-media"
        target_env = _env(_postgres_url(settings_dict, fresh), restored_media)
        source_env = _env(_postgres_url(settings_dict, settings_dict["NAME"]),
                          settings.MEDIA_ROOT)

        backup = _backup_and_restore(source_env, target_env, tmp_path)

        assert (backup / "database.dump").exists()
        assert fingerprint_of(target_env) == before
        letter = next((restored_media / "private" / "attachments").rglob("*.pdf"))
        assert letter.read_bytes() == LETTER
        _refused_a_second_time(backup, target_env)
    finally:
        subprocess.run([_pg_tool("dropdb"), "--if-exists", "--force", fresh], env=client_env,
                       check=False, timeout=60)
