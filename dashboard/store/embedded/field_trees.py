"""Dotted paths of ``$project``, ``$addFields``/``$set`` and ``$unset`` applied through sub-documents
and arrays of sub-documents.

The paths of one stage form a tree per top-level field (``{"items.p": 1, "items.q": 1}`` is
``items → {p, q}``). A tree is applied to the value it meets at each place, by that value's kind,
as MongoDB's projection executor does (manual, "$project": "Include Specific Fields from Embedded
Documents", "Project Fields to Return from Query": "Project Specific Array Elements in the Returned
Array"; "$addFields": "Adding Fields to an Embedded Document"):

- a **document**: each path goes into its field;
- an **array**: the tree applies to every element (arrays in arrays too, recursively);
- **anything else** (a number, null, missing): an *inclusion* leaves it out (in an array, the
  element is dropped); an *exclusion* leaves it as it is; a *computed* field (an expression in
  ``$project`` or ``$addFields``) replaces it with a document holding the computed fields only.

A computed value is the expression evaluated once per *document* (against the input document, not
the element) and written into every element it reaches: inside ``list.eval``, which cannot read
other columns, the document's values travel with each element (:func:`~.expr_scope.zip_outer`).

Where MongoDB would write a document in place of a null or missing array (a computed path into a
field that is an array in other documents), the column would hold two types; that document is
refused at run time with ``UnsupportedOperation``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import polars as pl

from dashboard.store.embedded.expr_scope import zip_outer
from dashboard.store.embedded.values import PRESENT_PREFIX, Val
from dashboard.store.errors import OperationFailure, UnsupportedOperation

__all__ = [
    "Computed",
    "Leaf",
    "Mode",
    "Tree",
    "build_tree",
    "conflicts",
    "exclude_fields",
    "has_computed",
    "reshape",
]


@dataclass(frozen=True)
class Computed:
    """A leaf computing its value: the index of the compiled expression in the stage's values."""

    slot: int


#: A leaf: ``True`` includes the field, ``False`` excludes it, ``Computed`` sets it.
Leaf = bool | Computed
#: Field name → leaf or the tree of the paths below it.
Tree = dict[str, "Tree | Leaf"]
#: ``include``: an inclusion ``$project`` (computed fields allowed); ``add``: ``$addFields``;
#: ``exclude``: an exclusion ``$project`` or ``$unset``.
Mode = Literal["include", "add", "exclude"]
#: The computed values as the current scope reads them, by slot.
Env = dict[int, Val]


def build_tree(items: list[tuple[str, Leaf]], stage: str) -> Tree:
    """The tree of ``(dotted path, leaf)`` pairs; a path that is a prefix of another collides."""
    tree: Tree = {}
    for path, leaf in items:
        node = tree
        parts = path.split(".")
        _check_parts(path, parts, stage)
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise _collision(stage, path)
            node = child
        if parts[-1] in node:
            raise _collision(stage, path)
        node[parts[-1]] = leaf
    return tree


def _check_parts(path: str, parts: list[str], stage: str) -> None:
    """MongoDB's field path rules; ``a.$`` is ``find``'s positional projection, not supported."""
    for part in parts:
        if part == "$":
            raise UnsupportedOperation(f"the positional projection {path!r}", where=stage)
        if part.startswith("$"):
            msg = f"FieldPath field names may not start with '$'. Consider using $getField or $setField: {path!r}"
            raise OperationFailure(msg, code=16410)
        if not part:
            msg = f"FieldPath field names may not be empty strings: {path!r}"
            raise OperationFailure(msg, code=15998)


def _collision(stage: str, path: str) -> OperationFailure:
    msg = f"Invalid {stage} :: caused by :: Path collision at {path}"
    return OperationFailure(msg, code=31250)


def has_computed(tree: Tree) -> bool:
    return bool(_slots(tree))


def _slots(tree: Tree) -> set[int]:
    out: set[int] = set()
    for leaf in tree.values():
        if isinstance(leaf, Computed):
            out.add(leaf.slot)
        elif isinstance(leaf, dict):
            out |= _slots(leaf)
    return out


def reshape(
    src: pl.Expr, dtype: pl.DataType | None, tree: Tree, mode: Mode, env: Env
) -> pl.Expr | None:
    """``tree`` applied to the value ``src`` of static type ``dtype`` (``None``: absent everywhere).

    The result is null where an inclusion leaves the value out; ``None`` when it is left out of
    every document.
    """
    if isinstance(dtype, pl.Struct):
        return _reshape_document(src, dtype, tree, mode, env)
    if isinstance(dtype, pl.List):
        return _reshape_array(src, dtype, tree, mode, env)
    if mode == "exclude":
        return src if dtype is not None else None
    if not has_computed(tree):
        return None
    return _computed_only(tree, env)


def _computed_only(tree: Tree, env: Env) -> pl.Expr:
    """A new document holding only the computed fields of ``tree`` (MongoDB's replacement for a
    value that is not a document)."""
    fields: list[pl.Expr] = []
    for name, leaf in tree.items():
        if isinstance(leaf, Computed):
            fields.append(env[leaf.slot].expr.alias(name))
        elif isinstance(leaf, dict) and has_computed(leaf):
            fields.append(_computed_only(leaf, env).alias(name))
    return pl.struct(fields)


def _empty_document() -> pl.Expr:
    return pl.lit({}, allow_object=False)


def _reshape_document(src: pl.Expr, dtype: pl.Struct, tree: Tree, mode: Mode, env: Env) -> pl.Expr:
    fields = {f.name: f.dtype for f in dtype.fields}
    if mode == "exclude":
        keep: list[pl.Expr] = []
        for name, fdtype in fields.items():
            leaf = tree.get(name)
            if leaf is False:
                continue
            sub: pl.Expr | None = src.struct.field(name)
            if isinstance(leaf, dict):
                sub = reshape(src.struct.field(name), fdtype, leaf, mode, env)
            if sub is not None:
                keep.append(sub.alias(name))
        built = pl.struct(keep) if keep else _empty_document()
        return pl.when(src.is_null()).then(None).otherwise(built)
    new: dict[str, pl.Expr] = {}
    for name, leaf in tree.items():
        field = src.struct.field(name) if name in fields else pl.lit(None)
        if isinstance(leaf, Computed):
            new[name] = env[leaf.slot].expr.alias(name)
        elif leaf is True:
            if name in fields:
                new[name] = field.alias(name)
        elif isinstance(leaf, dict):
            sub = reshape(field, fields.get(name), leaf, mode, env)
            if sub is not None:
                new[name] = sub.alias(name)
    if mode == "include":
        built = pl.struct(list(new.values())) if new else _empty_document()
        if has_computed(tree):
            return built  # a null document becomes one of the computed fields
        return pl.when(src.is_null()).then(None).otherwise(built)
    # $addFields: the document with its fields set; null becomes a document of the new fields.
    updated = src.struct.with_fields(list(new.values()))
    created = [new.get(n, pl.lit(None, dtype=d).alias(n)) for n, d in fields.items()]
    created += [e for n, e in new.items() if n not in fields]
    return pl.when(src.is_null()).then(pl.struct(created)).otherwise(updated)


def _reshape_array(src: pl.Expr, dtype: pl.List, tree: Tree, mode: Mode, env: Env) -> pl.Expr:
    inner = dtype.inner
    carried = sorted(s for s in _slots(tree) if not env[s].is_const)
    if carried:
        # The document's computed values travel with each element (list.eval sees only elements).
        source = zip_outer(src, inner, {f"$c{s}": env[s] for s in carried})
        element = pl.element().struct.field("$el")
        inside = dict(env)
        for s in carried:
            inside[s] = Val(expr=pl.element().struct.field(f"$c{s}"), dtype=env[s].dtype)
    else:
        source, element, inside = src, pl.element(), env
    sub = reshape(element, inner, tree, mode, inside)
    if sub is None:  # an inclusion through elements that are not documents: none is kept
        return src.list.eval(pl.element().filter(pl.lit(False)))
    out = source.list.eval(sub)
    if mode == "include" and not has_computed(tree):
        out = out.list.drop_nulls()  # elements that are not documents (null) are left out
    return out


def conflicts(src: pl.Expr, dtype: pl.DataType | None, tree: Tree, mode: Mode) -> pl.Expr | None:
    """Where a computed path meets a null or missing value at a place that is an array in the
    column's type: MongoDB writes a document there, which this column cannot hold."""
    if mode == "exclude" or not has_computed(tree):
        return None
    if isinstance(dtype, pl.Struct):
        fields = {f.name: f.dtype for f in dtype.fields}
        parts = [
            conflicts(src.struct.field(name), fields[name], leaf, mode)
            for name, leaf in tree.items()
            if isinstance(leaf, dict) and name in fields
        ]
        found = [p for p in parts if p is not None]
        if not found:
            return None
        return pl.any_horizontal(found)
    if isinstance(dtype, pl.List):
        bad = src.is_null()
        inner = conflicts(pl.element(), dtype.inner, tree, mode)
        if inner is not None:
            bad = bad | src.list.eval(inner.fill_null(False)).list.any()
        return bad
    return None


def exclude_fields(schema: dict[str, pl.DataType], paths: list[str], stage: str) -> list[pl.Expr]:
    """Expressions selecting the documents without ``paths`` (an exclusion ``$project``, ``$unset``):
    a dotted path rebuilds its sub-documents, in every element of the arrays it passes through."""
    tree = build_tree([(p, False) for p in paths], stage)
    exprs: list[pl.Expr] = []
    for name, dtype in schema.items():
        field = name.removeprefix(PRESENT_PREFIX)
        node = tree.get(field)
        if node is False:
            continue  # the field, and its presence column
        out = None
        if isinstance(node, dict) and name == field:
            out = reshape(pl.col(name), dtype, node, "exclude", {})
        exprs.append(pl.col(name) if out is None else out.alias(name))
    return exprs
