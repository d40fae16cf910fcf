"""Many model instances inserted with one statement, and a database-queue job written the
same way: what `QuerySet.bulk_create` and django-tasks-db's `enqueue` write, without the
ORM's query compiler, which cost more than the rows themselves on the sign-on path
(bench/profile_signon.py --threads 8: ~2.3 → ~1.9 CPU ms per sign-on). And one row updated
by its key (`update_row`), which the email worker does once an email.

Each field's value goes through the field's own `pre_save` and `get_db_prep_save`, as in
bulk_create, except where those steps would give it back unchanged (text in Django's own
text fields, and the like: `_unchanged_type`). The new ids come back from `RETURNING`, in
the order of the rows, which is what bulk_create relies on too on SQLite and PostgreSQL.
`pre_save` and `post_save` are sent for each row as `Model.save` sends them, where anything
listens (django-tasks-db fills a job's `run_after` in its pre_save; nothing listens for
sign-ons). The tests run the email
worker on jobs written here (tests/signatures/test_group_commit.py), so a django-tasks-db
upgrade that changes its table shows there.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import connections
from django.db.models import (
    BooleanField,
    CharField,
    Field,
    IntegerField,
    Model,
    TextField,
)
from django.db.models.fields import AutoFieldMixin
from django.db.models.signals import post_save, pre_save

M = TypeVar("M", bound=Model)


# Fields whose pre_save and get_db_prep_save give back a value of this type unchanged
# (Django's own text, boolean and integer fields, not subclassed in those steps): such a value,
# or None, is sent as it is, without the five calls per field that would return it.
_UNCHANGED = {
    CharField.get_prep_value: str,
    TextField.get_prep_value: str,
    BooleanField.get_prep_value: bool,
    IntegerField.get_prep_value: int,
}


def _unchanged_type(field: Field[Any, Any]) -> type | None:
    cls = type(field)
    if (
        cls.pre_save is Field.pre_save
        and cls.get_db_prep_save is Field.get_db_prep_save
        and cls.get_db_prep_value is Field.get_db_prep_value
    ):
        return _UNCHANGED.get(cls.get_prep_value)
    return None


@functools.cache
def _columns(
    model: type[Model],
) -> tuple[list[tuple[Field[Any, Any], type | None]], Field[Any, Any] | None]:
    """The fields an INSERT names, each with the type its values keep unchanged (if any), and
    the auto-increment primary key it returns (if any)."""
    pk = model._meta.pk
    auto = pk if isinstance(pk, AutoFieldMixin) else None
    return [(f, _unchanged_type(f)) for f in model._meta.concrete_fields if f is not auto], auto


# The text of an INSERT for a model, by database vendor (quoting): made once per process.
_parts: dict[tuple[type[Model], str], tuple[str, str, str]] = {}


def _statement_parts(model: type[Model], connection: Any) -> tuple[str, str, str]:
    """`INSERT INTO table (columns) VALUES `, one row's placeholders, and ` RETURNING id`
    (empty when the key is not an auto-increment)."""
    key = (model, connection.vendor)
    parts = _parts.get(key)
    if parts is None:
        plan, auto = _columns(model)
        quote = connection.ops.quote_name
        # Only quoted names of the model's own table and columns, and placeholders, go in.
        columns = ", ".join(quote(str(f.column)) for f, _unchanged in plan)
        parts = (
            f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ",  # noqa: S608
            "(" + ", ".join(["%s"] * len(plan)) + ")",
            f" RETURNING {quote(str(auto.column))}" if auto is not None else "",
        )
        _parts[key] = parts
    return parts


def new_instance(model: type[M], values: dict[str, Any]) -> M:
    """`model(**values)` for a row not yet stored, built the way Django builds a row it reads
    (positionally), which costs a third of the keyword way for a model of forty fields.
    `values` are keyed by attribute name (`statement_id`, not `statement`); the fields not
    given take their defaults."""
    return model(
        *[
            values[f.attname] if f.attname in values else f.get_default()
            for f in model._meta.concrete_fields
        ]
    )


def _db_values(
    obj: Model, plan: list[tuple[Field[Any, Any], type | None]], connection: Any
) -> list[Any]:
    values = []
    for field, unchanged in plan:
        if unchanged is not None:
            value = getattr(obj, field.attname)
            # Exact types only for bool and int (True is an int; a str subclass is still text).
            if (
                value is None
                or type(value) is unchanged
                or (unchanged is str and isinstance(value, str))
            ):
                values.append(value)
                continue
        values.append(field.get_db_prep_save(field.pre_save(obj, True), connection))
    return values


def insert_rows(objs: Sequence[Model], *, using: str = "default") -> None:
    """INSERT `objs` (all of one model) in one statement; set their ids as saved."""
    model = type(objs[0])
    connection = connections[using]
    if pre_save.has_listeners(model):
        for obj in objs:
            pre_save.send(model, instance=obj, raw=False, using=using, update_fields=None)
    plan, auto = _columns(model)
    head, row, returning = _statement_parts(model, connection)
    sql = head + ", ".join([row] * len(objs)) + returning
    params = [value for obj in objs for value in _db_values(obj, plan, connection)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if auto is not None:
            for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
                setattr(obj, auto.attname, pk)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = using
    if post_save.has_listeners(model):
        for obj in objs:
            post_save.send(
                model, instance=obj, created=True, update_fields=None, raw=False, using=using
            )


# An UPDATE by model, vendor, and the fields it sets and compares: its text and those fields.
_Update = tuple[str, list[Field[Any, Any]], Field[Any, Any], list[Field[Any, Any]]]
_updates: dict[tuple[type[Model], str, tuple[str, ...], tuple[str, ...]], _Update] = {}


def _concrete(model: type[Model], name: str) -> Field[Any, Any]:
    for field in model._meta.concrete_fields:
        if name in (field.name, field.attname):
            return field
    raise ValueError(f"{model.__name__}.{name} is not a column")


def update_row(
    model: type[Model],
    pk: Any,
    *,
    where: dict[str, Any],
    values: dict[str, Any],
    using: str = "default",
    durable: bool = True,
) -> int:
    """`model.objects.filter(pk=pk, **where).update(**values)` for plain values of concrete
    fields (no lookups, no expressions), in a statement made once per process: without the
    ORM's filter and compiler, the email worker's CPU per email fell from 1.44 to 1.20 ms
    (in process; notes on #8).
    Returns the number of rows changed, 0 or 1. Each value is prepared by its field as
    `update()` prepares it; no signals are sent, as `update()` sends none.

    `durable=False`, on PostgreSQL, lets the commit return before it is written to disk
    (`synchronous_commit` off for the UPDATE's own transaction, set in the statement itself;
    inside another transaction the change is part of that one, which commits as usual). The
    change survives a crash of the app; a crash of the database server can lose its last
    fraction of a second. For a change that can be lost that way, made many times a second,
    it spares the commits that cannot from queueing behind its flushes to disk. SQLite's
    commits here (synchronous=NORMAL) never wait for the disk."""
    connection = connections[using]
    key = (model, connection.vendor, tuple(values), tuple(where))
    update = _updates.get(key)
    if update is None:
        quote = connection.ops.quote_name
        pk_field = model._meta.pk
        assert pk_field is not None
        setting = [_concrete(model, name) for name in values]
        comparing = [_concrete(model, name) for name in where]
        # Only quoted names of the model's own table and columns, and placeholders, go in.
        sql = (
            f"UPDATE {quote(model._meta.db_table)} SET "  # noqa: S608
            + ", ".join(f"{quote(str(f.column))} = %s" for f in setting)
            + f" WHERE {quote(str(pk_field.column))} = %s"
            + "".join(f" AND {quote(str(f.column))} = %s" for f in comparing)
        )
        update = _updates[key] = (sql, setting, pk_field, comparing)
    sql, setting, pk_field, comparing = update
    params = [
        *(f.get_db_prep_save(v, connection) for f, v in zip(setting, values.values(), strict=True)),
        pk_field.get_db_prep_value(pk, connection),
        *(
            f.get_db_prep_value(v, connection)
            for f, v in zip(comparing, where.values(), strict=True)
        ),
    ]
    if not durable and connection.vendor == "postgresql" and connection.get_autocommit():
        # The statement is its own transaction, and set_config(..., true) lasts until that
        # transaction ends: its commit, which reads the setting, does not wait for the disk.
        # One round trip where BEGIN, SET LOCAL, UPDATE and COMMIT took four: the worker's CPU
        # per mark fell from 183-298 to 87-91 us, its wait by half (3 rounds; notes on #8).
        sql += " AND set_config('synchronous_commit', 'off', true) = 'off'"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)


def enqueue_in_database(task: Any, *args: Any) -> None:
    """Write the job django-tasks-db's DatabaseBackend.enqueue writes for `task(*args)`, in
    the caller's transaction, without building its TaskResult or sending `task_enqueued`
    (whose only receiver logs at DEBUG)."""
    from django_tasks.utils import normalize_json
    from django_tasks_db.models import DBTaskResult

    backend = task.get_backend()
    backend.validate_task(task)
    job: Model = DBTaskResult(
        id=backend._get_id(),
        args_kwargs=normalize_json({"args": list(args), "kwargs": {}}),
        priority=task.priority,
        task_path=task.module_path,
        queue_name=task.queue_name,
        run_after=task.run_after,
        backend_name=backend.alias,
    )
    insert_rows([job])
