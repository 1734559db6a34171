"""``manage.py export_codebook QUESTIONNAIRE FILE``: the codebook as .xlsx or REFI-QDA .qdc."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import ngettext

from analysis.models import Code
from analysis.refiqda import codebook_to_qdc
from analysis.services.codebook import codebook_export_xlsx
from surveys.models import Questionnaire


class Command(BaseCommand):
    help = ("Export a questionnaire's codebook to FILE: .xlsx (the columns import_codebook "
            "reads) or .qdc (REFI-QDA, for NVivo, ATLAS.ti, MAXQDA and QualCoder).")

    def add_arguments(self, parser):
        parser.add_argument("questionnaire", help="The questionnaire's code, e.g. HLD-2008.")
        parser.add_argument("file")

    def handle(self, *args, questionnaire, file, **options):
        found = Questionnaire.objects.filter(code=questionnaire).first()
        if found is None:
            raise CommandError(f"No questionnaire has the code {questionnaire}.")
        path = Path(file)
        suffix = path.suffix.lower()
        if suffix == ".xlsx":
            content = codebook_export_xlsx(questionnaire=found)
        elif suffix in (".qdc", ".xml"):
            content = codebook_to_qdc(found)
        else:
            raise CommandError("Use a file name ending in .xlsx or .qdc.")
        path.write_bytes(content)
        count = Code.objects.filter(questionnaire=found).count()
        self.stdout.write(self.style.SUCCESS(
            ngettext("%(n)s code written to %(file)s.", "%(n)s codes written to %(file)s.", count)
            % {"n": count, "file": path}))
