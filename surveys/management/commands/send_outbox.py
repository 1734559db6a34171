"""``manage.py send_outbox``: deliver the queued e-mail (for cron, every few minutes).

A thin wrapper over django-post-office's delivery (the same as its
``send_queued_mail``) that also fails at once the addresses a server refuses for
good, shows progress and prints what happened. A failed attempt leaves the e-mail
queued; it is retried after ``EMAIL_RETRY_MINUTES``, up to ``EMAIL_MAX_RETRIES``
times.
"""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from post_office.lockfile import default_lockfile
from tqdm import tqdm

from surveys.services.outbox import OutboxBusy, outbox_counts, outbox_due, outbox_send


class Command(BaseCommand):
    help = _("Deliver the e-mails waiting in the outbox, with retries.")

    def add_arguments(self, parser):
        parser.add_argument("--lockfile", default=default_lockfile,
                            help=_("Lock file that keeps two deliveries from running at once."))

    def handle(self, *args, lockfile=default_lockfile, verbosity=1, **options):
        due = outbox_due().count()
        if not due:
            self.stdout.write(_("Nothing to send."))
            return
        with tqdm(total=due, desc=_("E-mails"), unit="", disable=verbosity < 1 or due < 20,
                  file=self.stderr) as bar:
            try:
                result = outbox_send(lockfile=lockfile, progress=bar.update)
            except OutboxBusy:
                self.stdout.write(_("Another delivery is running; nothing done."))
                return
        self.stdout.write(_("Sent: %(sent)s. Failed: %(failed)s (refused by the server: "
                            "%(refused)s). To retry later: %(requeued)s.") % vars(result))
        counts = outbox_counts()
        self.stdout.write(_("Outbox now: %(queued)s queued, %(requeued)s waiting to be retried, "
                            "%(failed)s failed.") % counts)
