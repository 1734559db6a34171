"""Settings of the gunicorn server the portal benchmark starts: Inquiry's, plus a no-op view."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "tests.benchmarks.urls"
