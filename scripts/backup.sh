#!/usr/bin/env bash
# Back up Inquiry: the database and the uploaded files (MEDIA_ROOT), in one folder.
#
#   scripts/backup.sh [--json] [--keep-days N] [DESTINATION]     (default: var/backups)
#
# Writes DESTINATION/inquiry-<UTC date and time>/ holding
#   database.dump       PostgreSQL: pg_dump in its custom format (-Fc), a consistent
#                       snapshot taken while the site runs
#   database.json.gz    SQLite (or PostgreSQL with --json): manage.py dumpdata, read in
#                       one transaction so that a reply saved meanwhile is wholly in
#                       the backup or not at all
#   media.tar.gz        MEDIA_ROOT, with the letters and files States sent
#                       (MEDIA_ROOT/private), which are in no database
#   MANIFEST            when, from which database, at which migrations
#   SHA256SUMS          checked by scripts/restore.sh before it changes anything
# --keep-days N then deletes the backups in DESTINATION older than N days.
#
# Not in the backup, and needed to restore: SECRET_KEY. The personal reply links
# are derived from it: with another key every link sent to governments stops
# working. Keep it in the password safe, apart from the backups.
# See docs/operations.md ("Backups").

# shellcheck source=scripts/backup-lib.sh
source "$(dirname "$0")/backup-lib.sh"

format="" keep_days="" destination=""
while [ $# -gt 0 ]; do
  case "$1" in
    --json) format=json ;;
    --keep-days) shift; keep_days=${1:?--keep-days needs a number of days} ;;
    -h|--help) sed -n '2,/^$/s/^# \{0,1\}//p' "$SCRIPT_PATH"; exit 0 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) destination=$(from_caller "$1") ;;
  esac
  shift
done
destination=${destination:-var/backups}

inquiry_settings
case "$DB_ENGINE" in
  sqlite) format=json ;;
  postgresql) format=${format:-pgdump} ;;
  *) die "no backup procedure for a $DB_ENGINE database" ;;
esac
[ "$DB_TABLES" -gt 0 ] || die "the database has no tables: nothing to back up"

started=$(date +%s)
name="inquiry-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$destination"
work="$destination/.$name.partial"
rm -rf "$work"
mkdir "$work"
trap 'rm -rf "$work"' EXIT

if [ "$format" = pgdump ]; then
  pg_environment
  say "Dumping PostgreSQL database $DB_NAME (pg_dump -Fc)..."
  pg_dump --format=custom --file="$work/database.dump"
  database_file=database.dump
else
  say "Dumping the $DB_ENGINE database with dumpdata..."
  # Every table but sessions, with the primary keys as they are (content types and
  # permissions included), so that the restore is exact. Natural keys are not used:
  # they would make the dump fail on a history row whose user has since been deleted.
  INQUIRY_DUMP_TO="$work/database.json.gz" "$PY" manage.py shell --no-imports -c '
import os
from django.core.management import call_command
from django.db import transaction

with transaction.atomic():
    call_command("dumpdata", exclude=["sessions"], output=os.environ["INQUIRY_DUMP_TO"],
                 verbosity=0)
'
  database_file=database.json.gz
fi

say "Archiving the uploaded files in $MEDIA_ROOT..."
if [ -d "$MEDIA_ROOT" ]; then
  tar -C "$MEDIA_ROOT" -czf "$work/media.tar.gz" .
else
  tar -czf "$work/media.tar.gz" --files-from /dev/null
fi

cat > "$work/MANIFEST" <<EOF
created: $(date -u +%Y-%m-%dT%H:%M:%SZ)
host: $(hostname)
engine: $DB_ENGINE
database: $database_file
media: media.tar.gz (from $MEDIA_ROOT)
migrations: $DB_MIGRATIONS
EOF
(cd "$work" && sha256sum "$database_file" media.tar.gz MANIFEST > SHA256SUMS)

mv "$work" "$destination/$name"
trap - EXIT
size=$(du -sh "$destination/$name" | cut -f1)
say "Backup written to $destination/$name ($size, $(( $(date +%s) - started )) s)."

if [ -n "$keep_days" ]; then
  find "$destination" -mindepth 1 -maxdepth 1 -type d -name 'inquiry-*' \
       -mtime +"$keep_days" -printf 'Deleted the old backup %p\n' -exec rm -rf {} + >&2
fi
printf '%s\n' "$destination/$name"
