"""``manage.py load_registry``: create or update the 195 States from the fixture."""

from django.core.management.base import BaseCommand

from surveys.services.registry import REGISTRY_FIXTURE, registry_load


class Command(BaseCommand):
    help = "Load the registry of UN Member States and observer States (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--file", default=str(REGISTRY_FIXTURE),
                            help="Registry fixture (default: fixtures/registry.json).")

    def handle(self, *args, file, **options):
        result = registry_load(path=file)
        self.stdout.write(self.style.SUCCESS(f"Registry: {result}."))
