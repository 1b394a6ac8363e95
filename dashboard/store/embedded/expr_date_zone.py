"""Time zones of the date operators: UTC, fixed offsets, Olson zones, or one per document.

Operators that depend on a time zone work on the *local wall clock*: a naive ``Datetime("ms")`` from
:meth:`Zone.to_local`. Local results become instants again with :meth:`Zone.from_local`, which
resolves DST gaps and overlaps as MongoDB's timelib does: a wall time skipped by a DST jump is read
with the offset in force before the jump, and one that occurs twice takes the DST flag of a
reference instant.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import polars as pl

from dashboard.store.embedded.expr_date import LOCAL
from dashboard.store.embedded.expressions import compile_expr
from dashboard.store.embedded.runtime_errors import raise_where, raising_checks, with_checks
from dashboard.store.embedded.values import DATE, Ctx, bson_type
from dashboard.store.errors import OperationFailure

__all__ = ["UTC", "Zone", "compile_zone", "parse_zone"]

_OFFSET = re.compile(r"([+-])(\d\d)(?:(\d\d)|:(\d\d))?")


@functools.cache
def _zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


@functools.cache
def parse_zone(name: str) -> Zone:
    """A timezone argument: ``"UTC"``, an Olson identifier, or an offset ``±hh``, ``±hhmm``, ``±hh:mm``."""
    if name == "UTC":
        return Zone("utc")
    m = _OFFSET.fullmatch(name)
    if m:
        sign = -1 if m.group(1) == "-" else 1
        minutes = int(m.group(2)) * 60 + int(m.group(3) or m.group(4) or 0)
        return Zone("offset" if minutes else "utc", offset_ms=sign * minutes * 60_000)
    names = _zone_names()
    if name in names or not names:  # without the tz database, trust Polars' own list
        try:
            pl.Series([0], dtype=DATE).dt.convert_time_zone(name)
        except pl.exceptions.PolarsError:
            pass
        else:
            return Zone("named", name=name)
    msg = f'unrecognized time zone identifier: "{name}"'
    raise OperationFailure(msg, code=40485)


@dataclass(frozen=True, eq=False)
class Zone:
    """A compiled ``timezone`` argument: UTC, a fixed offset, an Olson zone, or one per document.

    ``null`` marks rows whose timezone is null or missing (MongoDB then returns null).
    """

    kind: str  # "utc" | "offset" | "named" | "dynamic"
    offset_ms: int = 0
    name: str = ""
    source: pl.Expr | None = None
    null: pl.Expr | None = None
    #: A per-document zone's valid names, and the check that fails on an unknown one.
    names: tuple[str, ...] = ()
    unknown: pl.Expr | None = None

    def is_utc(self) -> pl.Expr:
        """Where the zone is MongoDB's UTC zone (``"UTC"`` or a zero offset), per row."""
        if self.kind != "dynamic":
            return pl.lit(self.kind == "utc")
        assert self.source is not None
        return (self.source == "UTC") | self.source.str.contains(r"^[+-]00(?::?00)?$")

    def to_local(self, utc: pl.Expr) -> pl.Expr:
        """The local wall-clock time (naive ``Datetime("ms")``) of instant ``utc``."""
        if self.kind == "utc":
            return utc.dt.replace_time_zone(None)
        if self.kind == "offset":
            return utc.dt.replace_time_zone(None) + pl.duration(milliseconds=self.offset_ms)
        if self.kind == "named":
            return utc.dt.convert_time_zone(self.name).dt.replace_time_zone(None)
        return self._per_zone(lambda z, u: z.to_local(u), [utc], LOCAL)

    def from_local(self, local: pl.Expr, like: pl.Expr | None = None) -> pl.Expr:
        """The instant (``DATE``) at which the wall clock reads ``local``.

        A wall time skipped by a DST jump is read with the offset in force before the jump (it lands
        as far after the jump as it was past it); one that occurs twice takes the occurrence with
        the same DST flag as the instant ``like`` (default: the epoch, as for a freshly built date).
        """
        if self.kind == "utc":
            return local.dt.replace_time_zone("UTC")
        if self.kind == "offset":
            return (local - pl.duration(milliseconds=self.offset_ms)).dt.replace_time_zone("UTC")
        like = like if like is not None else pl.lit(0).cast(DATE)
        if self.kind == "named":
            dst = like.dt.convert_time_zone(self.name).dt.dst_offset() != pl.duration(
                milliseconds=0
            )
            ambiguous = pl.when(dst).then(pl.lit("earliest")).otherwise(pl.lit("latest"))
            exact = local.dt.replace_time_zone(self.name, ambiguous=ambiguous, non_existent="null")
            before = (local - pl.duration(days=1)).dt.replace_time_zone("UTC")
            offset_before = self.to_local(before) - before.dt.replace_time_zone(None)
            shifted = (local - offset_before).dt.replace_time_zone("UTC")
            return pl.coalesce(exact.dt.convert_time_zone("UTC"), shifted)
        return self._per_zone(lambda z, n, k: z.from_local(n, k), [local, like], DATE)

    def offset_ms_at(self, utc: pl.Expr) -> pl.Expr:
        """The zone's UTC offset at instant ``utc``, in milliseconds (Int64)."""
        if self.kind in ("utc", "offset"):
            return pl.lit(self.offset_ms, pl.Int64)
        return self.to_local(utc).cast(pl.Int64) - utc.dt.replace_time_zone(None).cast(pl.Int64)

    def _per_zone(
        self, build: Callable[..., pl.Expr], inputs: list[pl.Expr], dtype: pl.DataType
    ) -> pl.Expr:
        """``build(zone, *inputs)`` for each zone a per-document zone takes (listed at compile
        time by :func:`compile_zone`), chosen row by row."""
        assert self.source is not None
        out = pl.lit(None, dtype)
        for name in self.names:
            zone = parse_zone(name)
            out = pl.when(self.source == name).then(build(zone, *inputs)).otherwise(out)
        return out if self.unknown is None else with_checks(out, self.unknown)


UTC = Zone("utc")


def compile_zone(spec: Any, ctx: Ctx) -> Zone:
    """Compile a ``timezone`` argument (absent → UTC); a literal one is checked at compile time."""
    v = compile_expr(spec, ctx)
    if v.is_const:
        if v.const is None:
            return Zone("utc", null=pl.lit(True))
        if not isinstance(v.const, str):
            msg = f"timezone must evaluate to a string, found {bson_type(v.dtype)}"
            raise OperationFailure(msg, code=40517)
        return parse_zone(v.const)
    if v.dtype == pl.Null:
        return Zone("utc", null=pl.lit(True))
    if v.dtype != pl.String:
        msg = f"timezone must evaluate to a string, found {bson_type(v.dtype)}"
        return Zone(
            "utc", null=v.expr.is_null() | raise_where(v.expr.is_not_null(), msg, 40517, fold=True)
        )
    return _per_document(v.expr, ctx)


def _per_document(source: pl.Expr, ctx: Ctx) -> Zone:
    """A zone read from each document: the distinct names are listed from the stage's input first,
    so the query picks a compiled zone per row (no Python callback inside the query)."""
    frame = ctx.input_frame()
    if frame is None:
        raise ctx.unsupported("a per-document timezone here (use a constant timezone)")
    rows = frame if ctx.guard is None else frame.filter(ctx.guard)
    with raising_checks():
        listed = rows.select(source.alias("tz")).drop_nulls().unique().collect()
    valid: list[str] = []
    unknown: list[str] = []
    for name in sorted(listed.get_column("tz").to_list()):
        try:
            parse_zone(name)
        except OperationFailure:
            unknown.append(name)
        else:
            valid.append(name)
    check = None
    if unknown:
        bad = source.is_in(pl.Series(unknown, dtype=pl.String))
        bad = bad if ctx.guard is None else bad & ctx.guard
        check = raise_where(
            bad, lambda name: f'unrecognized time zone identifier: "{name}"', 40485, source
        )
    return Zone("dynamic", source=source, null=source.is_null(), names=tuple(valid), unknown=check)
