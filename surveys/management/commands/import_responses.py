"""``manage.py import_responses QUESTIONNAIRE FILE``: replies from a sheet, all or nothing."""

from functools import partial

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from surveys.models import Questionnaire
from surveys.services.reply_import import responses_import


class Command(BaseCommand):
    help = ("Import replies from a .xlsx or .csv file: one row per State (columns country, "
            "received_on, optional channel and language) and one column per question code. "
            "A file with any bad row imports nothing; every bad row is listed.")

    def add_arguments(self, parser):
        parser.add_argument("questionnaire", help="The questionnaire's code, e.g. HLD-2008.")
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true",
                            help="Check the file and report, without writing anything.")

    def handle(self, *args, questionnaire, file, dry_run, verbosity, **options):
        found = Questionnaire.objects.filter(code__iexact=questionnaire).first()
        if found is None:
            raise CommandError(_("No questionnaire has the code “%(code)s”.")
                               % {"code": questionnaire})
        # The bar goes to stderr, and only to a terminal: logs and pipes stay clean. It
        # writes to the stream itself: OutputWrapper would end each refresh with a newline.
        progress = partial(tqdm, file=self.stderr._out, leave=False,
                           disable=verbosity < 1 or not self.stderr.isatty())
        outcome = responses_import(questionnaire=found, source=file, dry_run=dry_run,
                                   progress=progress)
        for error in outcome.file_errors:
            self.stderr.write(self.style.ERROR(error))
        for problem in outcome.problems:
            self.stderr.write(self.style.ERROR(str(problem)))
        if not outcome.ok:
            raise CommandError(outcome.summary())
        self.stdout.write(self.style.SUCCESS(outcome.summary()))
