"""Writing tens of thousands of rows, with their django-simple-history records, fast.

Django's ``bulk_create`` compiles an INSERT of every batch, value by value: for the
400,000 answers of a large import and their 400,000 history records that is most
of the time of the import. Here rows are given as tuples in a fixed column order
and written as one prepared statement: ``COPY ... FROM STDIN`` on PostgreSQL,
``executemany`` elsewhere. Values are what the columns store (see
:func:`db_value`); nothing goes through the model (no ``save``, no signals), as with
``bulk_create``.

History records are written exactly as simple-history's ``bulk_history_create``
writes them: the tracked fields, ``history_date``, ``history_user_id``,
``history_change_reason`` and ``history_type`` ("+" created, "~" changed), with
``history_id`` from the table's own sequence; they are copied from the rows just
written inside the database, so they are never sent twice.
"""

from __future__ import annotations

import datetime
import functools
import json
import time
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.db import connection, models
from simple_history.utils import get_history_manager_for_model

# Rows per executemany call (SQLite); COPY streams whatever it is given.
EXECUTEMANY_BATCH = 5000


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def db_value(value):
    """A Python value as the database column stores it (JSON given as text)."""
    if connection.vendor == "postgresql":
        return value
    if isinstance(value, datetime.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, datetime.date):
        return connection.ops.adapt_datefield_value(value)
    return value


def json_text(value) -> str | None:
    """A JSONField's value as Django stores it: JSON text, SQL NULL for None."""
    return None if value is None else json.dumps(value)


def _columns(model, fields: Sequence[str]) -> list[str]:
    return [model._meta.get_field(name).column for name in fields]


def rows_insert(model: type[models.Model], fields: Sequence[str],
                rows: Iterable[Sequence]) -> None:
    """INSERT ``rows`` (tuples in the order of ``fields``, model field names or attnames)."""
    table = _quote(model._meta.db_table)
    columns = ", ".join(_quote(c) for c in _columns(model, fields))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sql = f"COPY {table} ({columns}) FROM STDIN"
            started, count = time.monotonic(), 0
            with cursor.cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            if connection.queries_logged:  # as Django logs the statements it runs itself
                connection.queries_log.append({
                    "sql": f"{count} rows: {sql}", "time": f"{time.monotonic() - started:.3f}"})
            return
        marks = ", ".join(["%s"] * len(fields))
        sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608 - names quoted
        _executemany(cursor, sql, rows)


def rows_update(model: type[models.Model], fields: Sequence[str],
                rows: Iterable[Sequence]) -> None:
    """UPDATE by primary key: ``rows`` are the values of ``fields``, then the key."""
    table = _quote(model._meta.db_table)
    assignments = []
    for field_name in fields:
        field = model._meta.get_field(field_name)
        cast = "::jsonb" if connection.vendor == "postgresql" and \
            isinstance(field, models.JSONField) else ""
        assignments.append(f"{_quote(field.column)} = %s{cast}")
    key = _quote(model._meta.pk.column)
    sql = f"UPDATE {table} SET {', '.join(assignments)} WHERE {key} = %s"  # noqa: S608
    with connection.cursor() as cursor:
        _executemany(cursor, sql, rows)


def _executemany(cursor, sql: str, rows: Iterable[Sequence]) -> None:
    batch = []
    for row in rows:
        batch.append([db_value(v) for v in row])
        if len(batch) >= EXECUTEMANY_BATCH:
            cursor.executemany(sql, batch)
            batch = []
    if batch:
        cursor.executemany(sql, batch)


@functools.cache
def historical_model(model: type[models.Model]) -> type[models.Model]:
    """simple-history's model of ``model``'s records (looked up once: simple-history's
    own look-up builds a new manager class each time, a millisecond per call)."""
    return get_history_manager_for_model(model).model


@functools.cache
def tracked_attnames(model: type[models.Model]) -> tuple[str, ...]:
    """The fields simple-history copies into each history record of ``model``."""
    return tuple(field.attname for field in historical_model(model).tracked_fields)


def default_history_user_id(model: type[models.Model], user) -> int | None:
    """The history_user_id simple-history would record: ``user``, else the user of the
    request being served (its middleware), else none."""
    if user is None:
        user = historical_model(model).get_default_history_user(model())
    return getattr(user, "pk", None)


def history_insert(model: type[models.Model], keys: Sequence, *, key: Sequence[str] = ("id",),
                   history_type: str, date: datetime.datetime, user_id: int | None,
                   reason: str) -> None:
    """History records of the rows of ``model`` whose ``key`` (integer fields: the
    primary key, or a unique pair) is among ``keys``, as they now stand, as
    ``bulk_history_create`` writes them; copied inside the database, one statement."""
    if not keys or not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return
    historical = historical_model(model)
    names = tracked_attnames(model)
    target = [historical._meta.get_field(name).column for name in names]
    target += [historical._meta.get_field(name).column for name in
               ("history_date", "history_user_id", "history_change_reason", "history_type")]
    source = ", ".join(f"t.{_quote(model._meta.get_field(name).column)}" for name in names)
    columns = [f"t.{_quote(model._meta.get_field(name).column)}" for name in key]
    pair = len(columns) > 1
    table = _quote(model._meta.db_table)
    if connection.vendor == "postgresql":
        # Joined to arrays of keys (one per column of the key): index lookups, no scan.
        arrays = ", ".join(["%s::bigint[]"] * len(columns))
        names_k = ", ".join(f"k{n}" for n in range(len(columns)))
        on = " AND ".join(f"{column} = k.k{n}" for n, column in enumerate(columns))
        rows = f"{table} t JOIN unnest({arrays}) AS k({names_k}) ON {on}"
        params = [list(column) for column in zip(*keys, strict=True)] if pair else [list(keys)]
        values = "%s::timestamptz, %s::bigint, %s::text, %s::text"
    else:
        # SQLite: the keys as one JSON array, read by json_each.
        picked = ", ".join(f"json_extract(value, '$[{n}]')" for n in range(len(columns))) \
            if pair else "value"
        rows = f"{table} t WHERE ({', '.join(columns)}) IN " \
               f"(SELECT {picked} FROM json_each(%s))"  # noqa: S608 - quoted names
        params = [json.dumps([list(k) for k in keys] if pair else list(keys))]
        values = "%s, %s, %s, %s"
    sql = (f"INSERT INTO {_quote(historical._meta.db_table)} "  # noqa: S608 - names quoted
           f"({', '.join(_quote(c) for c in target)}) SELECT {source}, {values} FROM {rows}")
    with connection.cursor() as cursor:
        cursor.execute(sql, [db_value(date), user_id, reason, history_type, *params])
