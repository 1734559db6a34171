"""The benchmarks' database, data set and results table.

Run with ``make bench`` (PostgreSQL when ``DATABASE_URL`` says so, else an SQLite
file in a temporary folder, so that a gunicorn process could share it). The data
set is built once per session by :mod:`tests.benchmarks.generator` and committed;
each benchmark that writes undoes its writes. ``BENCH_RESPONDENTS`` scales it down
for a quick try (the default, 20,000, is the issue's).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.benchmarks.measure import TABLE, machine

RESPONDENTS = int(os.environ.get("BENCH_RESPONDENTS", "20000"))
RESULTS = Path(os.environ.get("BENCH_RESULTS", "var/benchmarks/results.md"))


def pytest_configure(config):
    config.addinivalue_line("markers", "benchmark: a benchmark of tests/benchmarks (make bench)")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/benchmarks" in str(item.fspath):
            item.add_marker(pytest.mark.benchmark)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix,
                                 tmp_path_factory):
    """An SQLite test database is a file, never ``:memory:``: other processes can open it."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        path = tmp_path_factory.mktemp("bench-db") / "bench.sqlite3"
        database.setdefault("TEST", {})["NAME"] = str(path)
    else:
        # Not the test suite's database, which `make test` may be using at the same time.
        database.setdefault("TEST", {})["NAME"] = f"bench_{database['NAME']}"


@pytest.fixture(scope="session")
def django_db_setup(request, django_test_environment, django_db_blocker,
                    django_db_modify_db_settings):
    """The test database with the registry, for benchmarks that are not ``django_db``
    tests: they commit as a program would, with no per-test rollback."""
    from django.test.utils import setup_databases, teardown_databases

    from surveys.services.registry import registry_load

    with django_db_blocker.unblock():
        config = setup_databases(verbosity=request.config.option.verbose, interactive=False,
                                 aliases={"default"})
        registry_load()
    yield
    with django_db_blocker.unblock():
        teardown_databases(config, verbosity=request.config.option.verbose)


@pytest.fixture(scope="session")
def bench_unblocked(django_db_setup, django_db_blocker):
    """Database access for the whole session."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture(scope="session")
def scale(bench_unblocked, tmp_path_factory):
    from django.db import connection, transaction

    from tests.benchmarks.generator import scale_build

    started = time.perf_counter()
    with transaction.atomic():
        built = scale_build(RESPONDENTS, tmp_path_factory.mktemp("bench-data"))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    TABLE.machine = machine()
    TABLE.notes.append(
        f"data set: {built.n:,} synthetic States × {len(built.big.questions.all())} questions "
        f"({built.n * 20:,} answers), 30 codes, plus 195 real States; generated in "
        f"{time.perf_counter() - started:.1f} s (seed 20080318)")
    return built


@pytest.fixture
def table():
    return TABLE


def pytest_terminal_summary(terminalreporter):
    if not TABLE.lines:
        return
    text = f"{TABLE.render()}\n\nMachine: {TABLE.machine}\n"
    terminalreporter.write_sep("=", "Inquiry benchmarks (ratios are the result)")
    terminalreporter.write_line(text)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text, encoding="utf-8")
    terminalreporter.write_line(f"(also written to {RESULTS})")
