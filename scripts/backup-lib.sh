# shellcheck shell=bash
# Shared by scripts/backup.sh and scripts/restore.sh (sourced, not run).
#
# The database and media folder are the ones the application itself uses: Django
# is asked for them, so DATABASE_URL and MEDIA_ROOT may come from the environment
# or from the .env file beside manage.py, exactly as for the web server.

set -euo pipefail
umask 077  # backups hold personal data: readable by their owner only

# shellcheck disable=SC2034  # read by the scripts' --help
SCRIPT_PATH=$(realpath "$0")
CALLER_PWD=$PWD
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# A folder named on the command line, relative to where the script was started.
from_caller() { case "$1" in /*) printf '%s' "$1" ;; *) printf '%s/%s' "$CALLER_PWD" "$1" ;; esac; }
PY=${INQUIRY_PYTHON:-.venv/bin/python}
[ -x "$PY" ] || PY=$(command -v python3)

say() { printf '%s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# Sets DB_ENGINE (sqlite or postgresql), DB_NAME, DB_HOST, DB_PORT, DB_USER,
# DB_PASSWORD, DB_SSLMODE, MEDIA_ROOT, DB_TABLES (tables in the database), DB_IN_USE
# (States, questionnaires and staff accounts: a freshly migrated database has none)
# and DB_MIGRATIONS (the last migration applied in each app).
inquiry_settings() {
  local out
  out=$("$PY" manage.py shell --no-imports -c '
import shlex
from django.conf import settings
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

db = settings.DATABASES["default"]
tables = set(connection.introspection.table_names())
in_use = 0
for table in ("surveys_state", "surveys_questionnaire", "auth_user"):
    if table in tables:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 - fixed names
            in_use += cursor.fetchone()[0]
last = {}
if "django_migrations" in tables:
    for app, name in sorted(MigrationRecorder(connection).applied_migrations()):
        last[app] = name
values = {
    "DB_ENGINE": connection.vendor, "DB_NAME": str(db["NAME"]),
    "DB_HOST": str(db.get("HOST") or ""), "DB_PORT": str(db.get("PORT") or ""),
    "DB_USER": str(db.get("USER") or ""), "DB_PASSWORD": str(db.get("PASSWORD") or ""),
    "DB_SSLMODE": str((db.get("OPTIONS") or {}).get("sslmode", "")),
    "MEDIA_ROOT": str(settings.MEDIA_ROOT), "DB_TABLES": str(len(tables)),
    "DB_IN_USE": str(in_use),
    "DB_MIGRATIONS": " ".join(f"{app}.{name}" for app, name in sorted(last.items())),
}
for key, value in values.items():
    print(f"{key}={shlex.quote(value)}")
') || die "could not read the settings (is the virtual environment installed?)"
  eval "$out"
}

# The PostgreSQL client tools read the connection from these variables (a password
# in the environment, unlike one on the command line, is not shown by `ps`).
pg_environment() {
  export PGDATABASE="$DB_NAME"
  [ -n "$DB_HOST" ] && export PGHOST="$DB_HOST"
  [ -n "$DB_PORT" ] && export PGPORT="$DB_PORT"
  [ -n "$DB_USER" ] && export PGUSER="$DB_USER"
  [ -n "$DB_PASSWORD" ] && export PGPASSWORD="$DB_PASSWORD"
  [ -n "$DB_SSLMODE" ] && export PGSSLMODE="$DB_SSLMODE"
  return 0
}
