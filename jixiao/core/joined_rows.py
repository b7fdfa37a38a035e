"""Model instances from one hand-written join, for the few hot paths where the ORM's own
query building costs more than the query (a rating form: one join of six tables that the ORM
takes several milliseconds to compile and plan, against about one to run).

`JoinedModel` names the columns of one model in a SELECT under a table alias and turns its
slice of a result row back into an instance, with the same conversions a queryset applies
(JSON text to objects, SQLite's integers to booleans and text to datetimes, decimals).
Fields left out are deferred as with `.only()`: reading one later costs a query.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connections
from django.db.models import Field, Model

Converter = Callable[[Any, Any, Any], Any]


@dataclass
class JoinedModel[M: Model]:
    """One model's columns in a join: `model` under `alias`, without the fields in `leave_out`."""

    model: type[M]
    alias: str
    leave_out: Sequence[str] = ()
    using: str = "default"
    fields: list[Field[Any, Any]] = field(init=False)
    _converters: list[tuple[int, list[Converter], Any]] = field(init=False)

    def __post_init__(self) -> None:
        self.fields = [
            f
            for f in self.model._meta.concrete_fields
            if f.name not in self.leave_out and f.attname not in self.leave_out
        ]
        connection = connections[self.using]
        self._converters = []
        for k, f in enumerate(self.fields):
            column = f.get_col(self.alias)
            converters = [
                *connection.ops.get_db_converters(column),
                *column.get_db_converters(connection),
            ]
            if converters:
                self._converters.append((k, converters, column))

    @property
    def width(self) -> int:
        return len(self.fields)

    def columns(self) -> str:
        """The SELECT list of this model's columns."""
        quote = connections[self.using].ops.quote_name
        return ", ".join(f"{self.alias}.{quote(str(f.column))}" for f in self.fields)

    def build(self, row: Sequence[Any], start: int) -> M:
        """The instance held in `row` from position `start` (as laid out by `columns`)."""
        values = list(row[start : start + self.width])
        connection = connections[self.using]
        for k, converters, column in self._converters:
            value = values[k]
            for convert in converters:
                value = convert(value, column, connection)
            values[k] = value
        return self.model.from_db(self.using, [f.attname for f in self.fields], values)


def build_all(joined: Sequence[JoinedModel[Any]], row: Sequence[Any]) -> list[Any]:
    """Every model's instance of a row laid out as the `columns()` of `joined`, in order."""
    out: list[Any] = []
    at = 0
    for m in joined:
        out.append(m.build(row, at))
        at += m.width
    return out
