"""``manage.py export_report HLD-2008 -o report.xlsx [--as-of DATE] [--map-date DATE]
[--images DIR]``: the report workbook, and its two figures as PNG files if asked.

A thin wrapper over :func:`analysis.report.report_workbook`. To reproduce A/63/269,
count to the cut-off and map the replies of 30 June::

    manage.py export_report HLD-2008 -o report.xlsx --map-date 2008-06-30 --images figures/
"""

import argparse
import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from analysis import report, tallies
from surveys.models import Questionnaire


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from error


class Command(BaseCommand):
    help = ("Write the report workbook of a questionnaire (Summary, Participation, Views, "
            "Views by region, Replies, Codings, Status), and optionally its map and timeline "
            "as PNG files.")

    def add_arguments(self, parser):
        parser.add_argument("questionnaire", help="The questionnaire's code, e.g. HLD-2008.")
        parser.add_argument("-o", "--output", required=True, type=Path,
                            help="The .xlsx file to write.")
        parser.add_argument("--as-of", type=_date, default=None,
                            help="Count the replies received by this day (YYYY-MM-DD); "
                                 "the report cut-off by default.")
        parser.add_argument("--map-date", type=_date, default=None,
                            help="The map shows the replies received by this day; the "
                                 "--as-of date by default.")
        parser.add_argument("--images", type=Path, default=None, metavar="DIR",
                            help="Also write map-<date>.png and timeline.png into DIR.")

    def handle(self, *args, questionnaire, output, as_of, map_date, images, **options):
        found = Questionnaire.objects.filter(code=questionnaire).first()
        if found is None:
            raise CommandError(f"No questionnaire with the code {questionnaire!r}.")
        if output.suffix.lower() != ".xlsx":
            raise CommandError(f"The output must be an .xlsx file, not {output.name!r}.")
        day = tallies.tally_date(questionnaire=found, as_of=as_of)
        map_date = map_date or day
        figures = report.report_images(questionnaire=found, as_of=day, map_date=map_date)
        data = report.report_workbook(questionnaire=found, as_of=day, map_date=map_date,
                                      images=figures)
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_bytes(data)
        self.stdout.write(f"Wrote {output} ({len(data) // 1024} KB): sheets "
                          f"{', '.join(report.SHEETS)}; replies counted as of {day:%Y-%m-%d}, "
                          f"map as of {map_date:%Y-%m-%d}.")
        if images is not None:
            images.mkdir(parents=True, exist_ok=True)
            for name, key in ((f"map-{map_date:%Y-%m-%d}.png", "map"),
                              ("timeline.png", "timeline")):
                path = images / name
                path.write_bytes(figures[key])
                self.stdout.write(f"Wrote {path} ({len(figures[key]) // 1024} KB).")
