"""``manage.py tally QUESTIONNAIRE``: how many replying States hold each view.

    manage.py tally HLD-2008
    manage.py tally HLD-2008 --as-of 2008-06-30 --by region --format csv

Prints the participation line ("64 respondents of 195 recipients by 15 July 2008")
and, for each code of the reconciled coding, the count of States, the base, the
share and the report phrase ("one in every six respondents (11 of 64)"). ``--format
json`` names each code by key and label with its count and base; ``csv`` writes the
rows only, spreadsheet-safe. A thin wrapper over :mod:`analysis.tallies` and
:mod:`analysis.phrasing`.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import math

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from analysis import phrasing, tallies
from surveys.cells import formula_safe
from surveys.models import Questionnaire

FORMATS = ("table", "csv", "json")


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("“%(value)s” is not a date: write it as YYYY-MM-DD.") % {"value": value}) from None


def _share(count: int, base: int) -> float | None:
    return round(count / base, 4) if base else None


class Command(BaseCommand):
    help = "Tally the reconciled coding of a questionnaire: States per view, with the phrase."

    def add_arguments(self, parser):
        parser.add_argument("questionnaire", help="The questionnaire's code, e.g. HLD-2008.")
        parser.add_argument("--as-of", type=_date, dest="as_of",
                            help="Count replies received by this day (default: the cut-off).")
        parser.add_argument("--by", choices=tallies.BY_CHOICES,
                            help="Also break the tally down by region, sub-region or group.")
        parser.add_argument("--format", choices=FORMATS, default="table", dest="fmt")

    def handle(self, *args, questionnaire, as_of=None, by=None, fmt="table", **options):
        found = Questionnaire.objects.filter(code=questionnaire).first()
        if found is None:
            codes = ", ".join(Questionnaire.objects.order_by("code")
                              .values_list("code", flat=True)) or "—"
            raise CommandError(_("No questionnaire “%(code)s”. Known: %(codes)s.")
                               % {"code": questionnaire, "codes": codes})
        figures = tallies.participation(questionnaire=found, as_of=as_of)
        day = figures.as_of
        rows = self._rows(tallies.code_tally(questionnaire=found, as_of=day))
        groups = self._rows(tallies.code_tally(questionnaire=found, as_of=day, by=by)) \
            if by else []
        if fmt == "json":
            self._json(found, figures, rows, by, groups)
        elif fmt == "csv":
            self._csv(groups if by else rows, by)
        else:
            self._table(found, figures, rows, by, groups)

    @staticmethod
    def _rows(table) -> list[dict]:
        rows = []
        for row in table.to_dict("records"):
            count, base = int(row["count"]), int(row["respondents"])
            rows.append({
                **({"group": row["group"]} if "group" in row else {}),
                "key": row["key"], "label": row["label"], "count": count, "base": base,
                "recipients": int(row["recipients"]), "share": _share(count, base),
                "phrase": phrasing.quantity_phrase(count, base).text,
            })
        return rows

    def _participation_line(self, figures) -> str:
        return ngettext(
            "%(respondents)d respondent of %(recipients)d recipients by %(date)s",
            "%(respondents)d respondents of %(recipients)d recipients by %(date)s",
            figures.respondents) % {"respondents": figures.respondents,
                                    "recipients": figures.recipients,
                                    "date": phrasing.un_date(figures.as_of)}

    def _json(self, questionnaire, figures, rows, by, groups):
        data = {
            "questionnaire": questionnaire.code,
            "as_of": figures.as_of.isoformat(),
            "recipients": figures.recipients,
            "respondents": figures.respondents,
            "on_time": figures.on_time,
            "late": figures.late,
            "participation": phrasing.participation_text(figures),
            "codes": [{k: row[k] for k in ("key", "label", "count", "base", "recipients",
                                           "share", "phrase")} for row in rows],
        }
        if by:
            data["by"] = by
            data["groups"] = groups
        self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))

    def _csv(self, rows, by):
        columns = ["key", "label", *(["group"] if by else []), "count", "base", "recipients",
                   "share", "phrase"]
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([formula_safe("" if row[c] is None else row[c]) for c in columns])

    def _table(self, questionnaire, figures, rows, by, groups):
        write = self.stdout.write
        write(str(questionnaire))
        line = self._participation_line(figures)
        if questionnaire.deadline:
            line += " " + _("(%(on_time)d by the deadline of %(deadline)s, %(late)d after it)") % {
                "on_time": figures.on_time, "late": figures.late,
                "deadline": phrasing.un_date(questionnaire.deadline)}
        write(line + ".")
        write(phrasing.participation_text(figures))
        write("")
        self._grid(rows, group=False)
        if by:
            write("")
            write(_("By %(by)s:") % {"by": by})
            self._grid(groups, group=True)

    def _grid(self, rows, *, group: bool):
        headers = [_("Code"), _("Label"), *([_("Group")] if group else []), _("Count"),
                   _("Base"), _("Share"), _("Phrase")]
        lines = []
        for row in rows:
            share = row["share"]
            label = row["label"] if len(row["label"]) <= 40 else row["label"][:39] + "…"
            lines.append([row["key"], label, *([row["group"]] if group else []),
                          str(row["count"]), str(row["base"]),
                          "—" if share is None or math.isnan(share) else f"{100 * share:.1f} %",
                          row["phrase"]])
        numeric = {len(headers) - 4, len(headers) - 3, len(headers) - 2}
        widths = [max([len(h), *(len(line[i]) for line in lines)]) for i, h in enumerate(headers)]

        def render(cells):
            return "  ".join(cell.rjust(w) if i in numeric else cell.ljust(w)
                             for i, (cell, w) in enumerate(zip(cells, widths, strict=True))
                             ).rstrip()

        self.stdout.write(render(headers))
        for line in lines:
            self.stdout.write(render(line))
        if not lines:
            self.stdout.write(_("The codebook is empty."))
