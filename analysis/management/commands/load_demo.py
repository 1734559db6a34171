"""``manage.py load_demo``: the demo case and a staff login for trying Inquiry out.

It lives in the analysis app because it loads both apps' parts (surveys never
imports analysis). Idempotent: run it again and it resets the demo login's password and leaves the
rest as it is. Never run it on a production database.
"""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from analysis.demo import coding_2008_load
from surveys.demo import questionnaire_2008 as q2008
from surveys.demo.load import contacts_load, demo_2008_load
from surveys.models import Questionnaire
from surveys.services.registry import registry_load

DEMO_USERNAME = "demo"


class Command(BaseCommand):
    help = "Load the registry and the demo case, and create the demo staff login (printed)."

    def add_arguments(self, parser):
        parser.add_argument("--password", help="Demo password (default: a new random one).")

    def handle(self, *args, password=None, **options):
        if not settings.DEBUG:
            raise CommandError("The demo is for development only (DEBUG is off).")
        self.stdout.write(f"Registry: {registry_load()}.")
        password = password or secrets.token_urlsafe(9)
        user, _created = get_user_model().objects.get_or_create(username=DEMO_USERNAME)
        user.is_staff = user.is_superuser = True
        user.email = "demo@inquiry.example"
        user.set_password(password)
        user.save()
        self.stdout.write(f"Contacts: {contacts_load()} added.")
        story = demo_2008_load(user=user)
        if story["skipped"]:
            self.stdout.write("The 2008 questionnaire is already loaded.")
            story["questionnaire"] = Questionnaire.objects.get(code=q2008.CODE)
        else:
            self.stdout.write(
                f"2008 questionnaire {story['questionnaire'].code}: "
                f"{story['recipients'].created} recipients, fax invitation of 18 March 2008 "
                f"with copies, {story['replies']} replies ({story['counted']} by the cut-off), "
                f"{story['reminder_waves']} reminder waves, {story['calls']} calls, "
                f"{story['declined']} declined.")
        coding = coding_2008_load(story["questionnaire"])
        if not coding["skipped"]:
            self.stdout.write(
                f"Codebook: {coding['codes']} views; {coding['codings']} codings by two coders "
                f"and the reconciled coding ({coding['disagreements']} disagreements "
                "reconciled).")
        self.stdout.write(self.style.SUCCESS(
            "\n  Inquiry demo is ready.\n"
            "  Open  http://127.0.0.1:8000/admin/\n"
            f"  Login {DEMO_USERNAME}\n"
            f"  Password {password}\n"))
