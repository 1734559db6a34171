"""Test-wide set-up: fast hashing, isolated media and mail, the registry loaded once."""

import pytest


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    locmem = "django.core.mail.backends.locmem.EmailBackend"
    settings.POST_OFFICE = {**settings.POST_OFFICE, "BACKENDS": {"default": locmem}}
    settings.SECURE_SSL_REDIRECT = False


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the 195 States once per test database; each test rolls back its own changes."""
    from surveys.services.registry import registry_load

    with django_db_blocker.unblock():
        registry_load()


@pytest.fixture
def registry(db):
    """The States, reloaded if a transactional test has flushed them."""
    from surveys.models import State
    from surveys.services.registry import registry_load

    if State.objects.count() != 195:
        registry_load()
    return {s.iso3: s for s in State.objects.all()}
