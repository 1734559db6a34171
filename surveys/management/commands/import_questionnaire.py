"""``manage.py import_questionnaire FILE [--code CODE]``: a questionnaire from an XLSForm."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from surveys.spreadsheets import SpreadsheetError, file_bytes
from surveys.xlsform import XlsformError, questionnaire_from_xlsform


class Command(BaseCommand):
    help = ("Create a draft questionnaire from an XLSForm workbook (.xlsx with survey, choices "
            "and settings sheets). A file using a feature Inquiry cannot honour (skip logic, "
            "checks, calculations, repeats...) imports nothing; every problem is listed.")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--code", help="Code of the new questionnaire (default: the "
                                           "form_id of the settings sheet).")

    def handle(self, *args, file, code=None, **options):
        try:
            content = file_bytes(file)
        except SpreadsheetError as exc:
            raise CommandError(str(exc)) from exc
        try:
            questionnaire, report = questionnaire_from_xlsform(content, code=code)
        except XlsformError as exc:
            for message in exc.messages:
                self.stderr.write(self.style.ERROR(message))
            raise CommandError(ngettext("Nothing imported: %(n)s problem in %(file)s.",
                                        "Nothing imported: %(n)s problems in %(file)s.",
                                        len(exc.messages))
                               % {"n": len(exc.messages), "file": file}) from exc
        for warning in report.warnings:
            self.stdout.write(self.style.WARNING(warning))
        created = _("Created as a draft: %(code)s.") % {"code": questionnaire.code}
        self.stdout.write(self.style.SUCCESS(f"{report.summary()} {created}"))
