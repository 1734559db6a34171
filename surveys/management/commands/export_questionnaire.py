"""``manage.py export_questionnaire CODE FILE``: a questionnaire as an XLSForm workbook."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import ngettext

from surveys.models import Questionnaire
from surveys.xlsform import questionnaire_to_xlsform


class Command(BaseCommand):
    help = ("Write a questionnaire to an XLSForm workbook (.xlsx), which import_questionnaire "
            "and other survey tools read.")

    def add_arguments(self, parser):
        parser.add_argument("code")
        parser.add_argument("file")

    def handle(self, *args, code, file, **options):
        questionnaire = Questionnaire.objects.filter(code=code).first()
        if questionnaire is None:
            raise CommandError(f"No questionnaire has the code {code!r}.")
        try:
            Path(file).write_bytes(questionnaire_to_xlsform(questionnaire))
        except OSError as exc:
            raise CommandError(f"Cannot write {file}: {exc.strerror}") from exc
        count = questionnaire.questions.count()
        self.stdout.write(self.style.SUCCESS(
            ngettext("%(code)s: %(n)s question written to %(file)s.",
                     "%(code)s: %(n)s questions written to %(file)s.", count)
            % {"code": questionnaire.code, "n": count, "file": file}))
