"""``manage.py send_due_reminders``: send the scheduled reminders that are due (for cron).

Idempotent: a reminder of the schedule is sent once, so running the command twice in
a row sends nothing the second time. Reminders are only queued here; ``send_outbox``
delivers them.
"""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from surveys.services.reminders import reminders_send_due


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(_("Give the date as YYYY-MM-DD, e.g. 2008-04-16.")) from exc


class Command(BaseCommand):
    help = _("Queue the scheduled reminders that are due, for every open questionnaire.")

    def add_arguments(self, parser):
        parser.add_argument("--today", type=_date,
                            help=_("Act as if today were this date (YYYY-MM-DD)."))

    def handle(self, *args, today=None, verbosity=1, **options):
        def progress(items):
            return tqdm(items, desc=_("Questionnaires"), unit="", disable=verbosity < 2,
                        file=self.stderr)

        run = reminders_send_due(today=today, progress=progress)
        for questionnaire, rule in run.superseded:
            self.stdout.write(_("%(code)s: reminder “%(rule)s” passed over (a later one was "
                                "due).") % {"code": questionnaire.code, "rule": rule})
        for dispatch in run.dispatches:
            self.stdout.write(_("%(code)s: reminder “%(rule)s”: %(messages)s messages queued "
                                "for %(states)s States.") % {
                "code": dispatch.questionnaire.code, "rule": dispatch.scheduled_rule,
                "messages": sum(dispatch.counts.values()), "states": dispatch.reached})
            for line in dispatch.note.splitlines()[1:]:
                self.stdout.write(f"    {line}")
        if not run.dispatches:
            self.stdout.write(_("No reminder is due."))
