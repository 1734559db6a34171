"""``manage.py import_contacts FILE``: contacts from a .xlsx or .csv sheet, all or nothing."""

from django.core.management.base import BaseCommand, CommandError

from surveys.services.contacts import contacts_import


class Command(BaseCommand):
    help = ("Import contacts (missions, representatives, focal points) from a .xlsx or .csv "
            "file. A file with any bad row imports nothing; every bad row is listed.")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true",
                            help="Check the file and report, without writing anything.")

    def handle(self, *args, file, dry_run, **options):
        outcome = contacts_import(source=file, dry_run=dry_run)
        for error in outcome.file_errors:
            self.stderr.write(self.style.ERROR(error))
        for problem in outcome.problems:
            self.stderr.write(self.style.ERROR(str(problem)))
        if not outcome.ok:
            raise CommandError(outcome.summary())
        self.stdout.write(self.style.SUCCESS(outcome.summary()))
