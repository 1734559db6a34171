"""``manage.py export_responses CODE FILE [--long] [--as-of DATE]``: the replies as a table.

Wide (a row per State, a column per question) by default, long (a row per answer)
with ``--long``; .xlsx or .csv by the file's suffix. A thin wrapper over
:func:`surveys.services.reply_export.replies_export`.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from tqdm import tqdm

from surveys.models import Questionnaire
from surveys.services.reply_export import replies_count, replies_export


def _date(value: str):
    try:
        day = parse_date(value)
    except ValueError:
        day = None
    if day is None:
        raise CommandError(_("--as-of takes a date as YYYY-MM-DD, not “%(value)s”.")
                           % {"value": value})
    return day


class Command(BaseCommand):
    help = _("Export the submitted replies to a questionnaire to a .xlsx or .csv file: a row per "
             "State (or per answer with --long), as received by --as-of.")

    def add_arguments(self, parser):
        parser.add_argument("questionnaire", help=_("The questionnaire's code, e.g. HLD-2008."))
        parser.add_argument("file", help=_("The file to write: .xlsx or .csv."))
        parser.add_argument("--long", action="store_true",
                            help=_("A row per answer instead of a row per State."))
        parser.add_argument("--as-of", dest="as_of", type=_date,
                            help=_("Only the replies received by this date (YYYY-MM-DD), each "
                                   "as it stood then."))

    def handle(self, *args, questionnaire, file, long=False, as_of=None, verbosity=1,
               **options):
        found = Questionnaire.objects.filter(code=questionnaire).first()
        if found is None:
            raise CommandError(_("No questionnaire has the code “%(code)s”.")
                               % {"code": questionnaire})
        total = replies_count(questionnaire=found, as_of=as_of)
        with tqdm(total=total, desc=_("Replies"), unit="", file=self.stderr,
                  disable=verbosity < 1 or total < 50) as bar:
            try:
                rows = replies_export(questionnaire=found, path=file, long=long, as_of=as_of,
                                      progress=bar.update)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            except OSError as exc:
                raise CommandError(_("Cannot write %(file)s: %(error)s")
                                   % {"file": file, "error": exc.strerror}) from exc
        self.stdout.write(self.style.SUCCESS(
            # Translators: %(rows)s is "1 row" / "12 rows", %(replies)s "1 reply" / "5 replies".
            _("%(code)s: %(rows)s written to %(file)s (%(replies)s).")
            % {"code": found.code, "file": file,
               "rows": ngettext("%(n)s row", "%(n)s rows", rows) % {"n": rows},
               "replies": ngettext("%(n)s reply", "%(n)s replies", total) % {"n": total}}))
