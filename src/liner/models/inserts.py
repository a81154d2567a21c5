"""Plain inserts for writers that add many small rows per message: cheaper than the
unit of work, with the same defaults."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import JSON, Table, Text, bindparam, cast, func, insert, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert

from liner.kit.db import json_text
from liner.models.base import Base, table_of

_INSERTS: dict[Table, Any] = {}


def insert_rows(session: Session, instances: Sequence[Base]) -> None:
    """Insert new (transient) instances of one mapped class as plain rows and give each
    its id, without the unit of work (which costs more than the rows, for writers that
    insert a few small rows per message). As with the unit of work, a column left unset,
    or set to None where it has a default, takes its default. The instances are not
    added to the session: a caller that keeps using them attaches them itself."""
    if not instances:
        return
    mapper = sa_inspect(type(instances[0]))
    table = table_of(type(instances[0]))
    statement = _INSERTS.get(table)
    if statement is None:
        statement = _INSERTS[table] = insert(table).returning(
            table.c.id, sort_by_parameter_order=True
        )
    by_columns: dict[tuple[str, ...], list[tuple[Base, dict[str, Any]]]] = {}
    for instance in instances:
        state = sa_inspect(instance).dict
        values: dict[str, Any] = {}
        for prop in mapper.column_attrs:
            column = prop.columns[0]
            if prop.key == "id" or prop.key not in state:
                continue
            value = state[prop.key]
            if value is None and column.default is not None:
                continue
            values[column.key] = value
        by_columns.setdefault(tuple(values), []).append((instance, values))
    for group in by_columns.values():
        ids = session.execute(statement, [values for _, values in group]).scalars().all()
        for (instance, _), row_id in zip(group, ids, strict=True):
            instance.id = row_id  # type: ignore[attr-defined]


_ARRAY_INSERTS: dict[tuple[Table, tuple[str, ...]], tuple[Insert, frozenset[str]]] = {}


def insert_many(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert rows that all name the same columns. On PostgreSQL one statement reads
    them from one array per column (``INSERT ... SELECT FROM unnest(...)``): psycopg
    sends an executemany row by row, which costs more than the rows themselves; JSON
    values travel as text and are cast back. Elsewhere (SQLite's driver loops in C) an
    executemany. Columns the rows leave out take their defaults, evaluated once for
    the statement."""
    if not rows:
        return
    if len(rows) == 1 or session.get_bind().dialect.name != "postgresql":
        session.execute(insert(table), rows)
        return
    names = tuple(rows[0])
    prepared = _ARRAY_INSERTS.get((table, names))
    if prepared is None:
        as_text = frozenset(n for n in names if isinstance(table.c[n].type, JSON))
        arrays = [
            bindparam(f"c{index}", type_=ARRAY(Text if name in as_text else table.c[name].type))
            for index, name in enumerate(names)
        ]
        source = func.unnest(*arrays).table_valued(*names).render_derived()
        values = [
            cast(source.c[name], table.c[name].type) if name in as_text else source.c[name]
            for name in names
        ]
        prepared = (insert(table).from_select(names, select(*values)), as_text)
        _ARRAY_INSERTS[(table, names)] = prepared
    statement, as_text = prepared
    session.execute(
        statement,
        {
            f"c{index}": [
                (None if row[name] is None else json_text(row[name]))
                if name in as_text
                else row[name]
                for row in rows
            ]
            for index, name in enumerate(names)
        },
    )
