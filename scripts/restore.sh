#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into the configured database and MEDIA_ROOT.
#
#   scripts/restore.sh [--force] BACKUP_FOLDER
#
# Run it with the same version of Inquiry as made the backup (MANIFEST lists its
# migrations) and the same SECRET_KEY, then upgrade as usual.
#   database.dump     pg_restore into DATABASE_URL's PostgreSQL database, which must
#                     exist (createdb) and be empty
#   database.json.gz  into SQLite or PostgreSQL: migrate (the tables), flush (the rows
#                     the migrations create), loaddata, migrate again (content types
#                     and permissions of anything newer than the backup)
#   media.tar.gz      unpacked into MEDIA_ROOT, which must be empty
# It refuses to overwrite a database that holds States, questionnaires or staff
# accounts (or, for pg_restore, any table), or a MEDIA_ROOT that holds files, unless
# --force is given: then the database's contents are replaced and the old
# MEDIA_ROOT is kept beside it as MEDIA_ROOT.replaced-<date>.
# See docs/operations.md ("Backups").

# shellcheck source=scripts/backup-lib.sh
source "$(dirname "$0")/backup-lib.sh"

force="" backup=""
while [ $# -gt 0 ]; do
  case "$1" in
    --force) force=1 ;;
    -h|--help) sed -n '2,/^$/s/^# \{0,1\}//p' "$SCRIPT_PATH"; exit 0 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) [ -z "$backup" ] || die "one backup folder at a time"; backup=$(from_caller "$1") ;;
  esac
  shift
done
[ -n "$backup" ] || die "which backup? scripts/restore.sh [--force] BACKUP_FOLDER"
[ -f "$backup/SHA256SUMS" ] || die "$backup is not a backup folder (no SHA256SUMS)"

started=$(date +%s)
say "Checking $backup..."
(cd "$backup" && sha256sum --check --quiet SHA256SUMS) || die "the backup is damaged"
if [ -f "$backup/database.dump" ]; then
  database_file=database.dump
elif [ -f "$backup/database.json.gz" ]; then
  database_file=database.json.gz
else
  die "no database file in $backup"
fi
sed 's/^/  /' "$backup/MANIFEST" >&2

inquiry_settings
say "Restoring into the $DB_ENGINE database $DB_NAME and $MEDIA_ROOT."

# Everything is checked before anything is changed.
if [ "$database_file" = database.dump ]; then
  [ "$DB_ENGINE" = postgresql ] || die "database.dump needs PostgreSQL (DATABASE_URL)"
  database_busy=$DB_TABLES
  busy_message="the database already has $DB_TABLES tables"
else
  database_busy=$DB_IN_USE
  busy_message="the database is not empty ($DB_IN_USE States, questionnaires and staff accounts)"
fi
if [ "$database_busy" -gt 0 ] && [ -z "$force" ]; then
  die "$busy_message. Restore into a new database, or add --force to replace its contents."
fi
media_busy=""
if [ -d "$MEDIA_ROOT" ] && [ -n "$(ls -A "$MEDIA_ROOT")" ]; then
  media_busy=1
  [ -n "$force" ] || die "$MEDIA_ROOT holds files. Point MEDIA_ROOT at an empty folder, or \
add --force (the current folder is then kept as $MEDIA_ROOT.replaced-<date>)."
fi

if [ "$database_file" = database.dump ]; then
  pg_environment
  say "pg_restore..."
  clean=()
  [ "$database_busy" -gt 0 ] && clean=(--clean --if-exists)
  # One transaction: on any error nothing is restored.
  pg_restore --no-owner --no-privileges --exit-on-error --single-transaction \
             "${clean[@]}" --dbname="$DB_NAME" "$backup/database.dump"
  # Migrations newer than the backup, if this version of Inquiry has any, and the
  # cache table if CACHE_URL names one (dbcache://).
  "$PY" manage.py shell --no-imports -c '
from django.core.management import call_command

call_command("migrate", interactive=False, verbosity=1)
call_command("createcachetable")
'
else
  say "migrate, flush, loaddata, migrate..."
  INQUIRY_FIXTURE="$backup/database.json.gz" "$PY" manage.py shell --no-imports -c '
import os
from django.core.management import call_command
from django.db import transaction

call_command("migrate", interactive=False, verbosity=0)  # the tables
# All or nothing. The flush goes without post_migrate, so that the backup brings
# its own content types and permissions back under their own numbers.
with transaction.atomic():
    call_command("flush", interactive=False, inhibit_post_migrate=True, verbosity=0)
    call_command("loaddata", os.environ["INQUIRY_FIXTURE"])
# Content types and permissions of anything newer than the backup; the cache table
# if CACHE_URL names one (dbcache://).
call_command("migrate", interactive=False, verbosity=1)
call_command("createcachetable")
'
fi

say "Unpacking the uploaded files..."
if [ -n "$media_busy" ]; then
  aside="$MEDIA_ROOT.replaced-$(date -u +%Y%m%dT%H%M%SZ)"
  mv "$MEDIA_ROOT" "$aside"
  say "  the previous $MEDIA_ROOT is kept as $aside"
fi
mkdir -p "$MEDIA_ROOT"
tar -C "$MEDIA_ROOT" -xzf "$backup/media.tar.gz"

say "Restored $backup in $(( $(date +%s) - started )) s."
