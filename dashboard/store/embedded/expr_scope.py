"""Compiling an expression once per array element (``$filter``, ``$map``, ``$reduce``) in ``list.eval``.

Inside ``list.eval`` Polars only sees ``pl.element()``; it cannot read the document's other columns.
When the per-element expression refers to nothing but the element (and constants), it is compiled
against ``pl.element()`` directly. When it also reads fields of the document or variables bound
outside (``$$ROOT``, an enclosing ``$map``'s ``$$this``, ``$let`` variables…), each element is first
zipped with those values: the array becomes an array of structs ``{"$el": element, <field>: …,
"$v:<var>": …}`` and the expression is compiled with the document's fields read from that struct.
Which outer values are needed is read off the expression's text (field paths and ``$$`` names), an
over-approximation that costs memory only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from dashboard.store.embedded.expressions import compile_expr, field_path
from dashboard.store.embedded.values import PRESENT_PREFIX, Ctx, Val

__all__ = ["ElementScope", "element_scope", "zip_outer"]

_EL = "$el"


@dataclass(frozen=True)
class ElementScope:
    """Where an array's elements are evaluated: the list to ``list.eval`` and the inner context."""

    #: The array to run ``list.eval`` on (the input, or the input zipped with outer values).
    source: pl.Expr
    #: The current element inside ``list.eval``.
    element: pl.Expr
    #: The context to compile per-element expressions in (element variables bound).
    ctx: Ctx


def _references(specs: Iterable[Any]) -> tuple[set[str], set[str]]:
    """Top-level field names and variable names the expressions mention (``$literal`` skipped)."""
    fields: set[str] = set()
    variables: set[str] = set()

    def walk(x: Any) -> None:
        if isinstance(x, str):
            if x.startswith("$$"):
                variables.add(x[2:].split(".", 1)[0])
            elif x.startswith("$") and len(x) > 1:
                fields.add(x[1:].split(".", 1)[0])
        elif isinstance(x, Mapping):
            for key, value in x.items():
                if key != "$literal":
                    walk(value)
        elif isinstance(x, list | tuple):
            for value in x:
                walk(value)

    for spec in specs:
        walk(spec)
    return fields, variables


def zip_outer(source: pl.Expr, inner: pl.DataType, outer: dict[str, Val]) -> pl.Expr:
    """Each element of ``source`` as ``{"$el": element, name: outer value…}`` (null stays null).

    ``list.eval`` cannot broadcast a row's value to its elements, so the row's values travel as an
    extra first element, then are spread over the others in a second ``list.eval``.
    """
    head = pl.concat_list(
        [
            pl.struct(
                [pl.lit(None, dtype=inner).alias(_EL), *[v.expr.alias(k) for k, v in outer.items()]]
            )
        ]
    )
    blanks = [pl.lit(None, dtype=v.dtype).alias(k) for k, v in outer.items()]
    body = source.list.eval(pl.struct([pl.element().alias(_EL), *blanks]))
    spread = [pl.element().struct.field(k).first().alias(k) for k in outer]
    return pl.concat_list([head, body]).list.eval(
        pl.struct([pl.element().struct.field(_EL).slice(1).alias(_EL), *spread])
    )


def element_scope(array: Val, specs: list[Any], names: list[str], ctx: Ctx) -> ElementScope:
    """The scope for evaluating ``specs`` over the elements of ``array`` with ``names`` bound to them.

    ``array`` must have a List dtype; ``names`` are the variables (``as``) bound to the element.
    """
    assert isinstance(array.dtype, pl.List)
    inner = array.dtype.inner
    fields, variables = _references(specs)
    variables -= set(names)
    outer_vars = sorted(
        v for v in variables if v in ctx.variables and not ctx.variables[v].is_const
    )
    needs_root = bool(variables & {"ROOT", "CURRENT"}) and not (
        {"ROOT", "CURRENT"} & set(ctx.variables)
    )
    if needs_root:
        fields |= {c for c in ctx.schema if not c.startswith(PRESENT_PREFIX)}
    outer_fields = sorted(f for f in fields if f in ctx.schema and not f.startswith(PRESENT_PREFIX))
    if not outer_vars and not outer_fields and ctx.guard is None:
        element = pl.element()
        bound = {name: Val(expr=element, dtype=inner) for name in names}
        inner_ctx = ctx.in_element(inner).child(**bound)
        return ElementScope(source=array.expr, element=element, ctx=inner_ctx)

    outer: dict[str, Val] = {}
    schema: dict[str, pl.DataType] = {}
    for name in outer_fields:
        v = field_path(name, ctx)
        outer[name] = v
        schema[name] = v.dtype
        if v.missing is not None:
            present = PRESENT_PREFIX + name
            outer[present] = Val(expr=~v.missing.fill_null(True), dtype=pl.Boolean())
            schema[present] = pl.Boolean()
    for name in outer_vars:
        v = ctx.variables[name]
        outer[f"$v:{name}"] = v
        if v.missing is not None:
            outer[f"$m:{name}"] = Val(expr=v.missing.fill_null(False), dtype=pl.Boolean())
    if ctx.guard is not None:
        # The rows this array is evaluated for travel with its elements too.
        outer["$guard"] = Val(expr=ctx.guard, dtype=pl.Boolean())
    struct = pl.Struct({_EL: inner, **{k: v.dtype for k, v in outer.items()}})
    element = pl.element().struct.field(_EL)
    variables_in: dict[str, Val] = {
        k: v for k, v in ctx.variables.items() if v.is_const or k not in outer_vars
    }
    for name in outer_vars:
        missing = pl.element().struct.field(f"$m:{name}") if f"$m:{name}" in outer else None
        variables_in[name] = Val(
            expr=pl.element().struct.field(f"$v:{name}"),
            dtype=ctx.variables[name].dtype,
            missing=missing,
        )
    if needs_root:
        user = [f for f in outer_fields]
        root = pl.struct([pl.element().struct.field(f).alias(f) for f in user])
        root_dtype = pl.Struct({f: schema[f] for f in user})
        variables_in["ROOT"] = variables_in["CURRENT"] = Val(expr=root, dtype=root_dtype)
    for name in names:
        variables_in[name] = Val(expr=element, dtype=inner)
    inner_ctx = Ctx(
        schema=schema,
        variables=variables_in,
        where=ctx.where,
        element=struct,
        fields_from_element=True,
        text_fields=ctx.text_fields,
        guard=pl.element().struct.field("$guard") if ctx.guard is not None else None,
    )
    return ElementScope(source=zip_outer(array.expr, inner, outer), element=element, ctx=inner_ctx)


def compile_in(spec: Any, scope: ElementScope) -> Val:
    """Compile a per-element expression in ``scope``."""
    return compile_expr(spec, scope.ctx)
