"""``manage.py export_contacts FILE``: every contact, in the columns the import reads."""

from django.core.management.base import BaseCommand
from django.utils.translation import ngettext

from surveys.services.contacts import contacts_export


class Command(BaseCommand):
    help = "Export all contacts to a .xlsx or .csv file (the columns import_contacts reads)."

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        count = contacts_export(path=file)
        self.stdout.write(self.style.SUCCESS(
            ngettext("%(n)s contact written to %(file)s.", "%(n)s contacts written to %(file)s.",
                     count) % {"n": count, "file": file}))
