"""``manage.py import_codebook QUESTIONNAIRE FILE``: a codebook from .xlsx, .csv or .qdc."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from analysis.refiqda import codebook_from_qdc
from analysis.services.codebook import codebook_import_xlsx
from surveys.models import Questionnaire
from surveys.spreadsheets import SpreadsheetError, file_bytes


class Command(BaseCommand):
    help = ("Import a questionnaire's codebook from a spreadsheet (.xlsx, .csv: key, label, "
            "definition, parent, exclusive_group, question, order, keywords) or a REFI-QDA "
            "codebook (.qdc). Codes are matched by key; a file with any bad row imports "
            "nothing, and every bad row is listed.")

    def add_arguments(self, parser):
        parser.add_argument("questionnaire", help="The questionnaire's code, e.g. HLD-2008.")
        parser.add_argument("file")
        parser.add_argument("--replace", action="store_true",
                            help="Remove the codes the file does not list (never codes that "
                                 "coders have applied).")

    def handle(self, *args, questionnaire, file, replace, **options):
        found = Questionnaire.objects.filter(code=questionnaire).first()
        if found is None:
            raise CommandError(_("No questionnaire has the code “%(code)s”.")
                               % {"code": questionnaire})
        path = Path(file)
        try:
            content = file_bytes(path)
        except SpreadsheetError as exc:
            raise CommandError(str(exc)) from exc
        if path.suffix.lower() in (".qdc", ".xml"):
            outcome = codebook_from_qdc(questionnaire=found, content=content, replace=replace)
        else:
            outcome = codebook_import_xlsx(questionnaire=found, source=content,
                                           filename=path.name, replace=replace)
        for error in outcome.file_errors:
            self.stderr.write(self.style.ERROR(error))
        for problem in outcome.problems:
            self.stderr.write(self.style.ERROR(str(problem)))
        if not outcome.ok:
            raise CommandError(outcome.summary())
        for warning in outcome.warnings:
            self.stdout.write(self.style.WARNING(warning))
        self.stdout.write(self.style.SUCCESS(outcome.summary()))
