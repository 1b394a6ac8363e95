"""The engine's registries: how operator families register themselves and get imported.

Expression operators (:data:`.expressions.OPERATORS`), stages (:data:`.pipeline.STAGES`) and
accumulators (:data:`.group.ACCUMULATORS`) are dicts from a MongoDB name to the function compiling
it. Each registry's decorator (``@operator``, ``@stage``, ``@accumulator``) is made by
:func:`registrar`; the module owning a registry imports the modules of its families with
:func:`import_families`, so importing it gives the whole family.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["import_families", "registrar"]

F = TypeVar("F", bound=Callable[..., Any])
_PACKAGE = "dashboard.store.embedded"


def registrar(table: dict[str, F]) -> Callable[..., Callable[[F], F]]:
    """A decorator factory: ``@register("$a", "$b")`` files the function in ``table`` under each name."""

    def register_as(*names: str) -> Callable[[F], F]:
        def register(fn: F) -> F:
            for name in names:
                table[name] = fn
            return fn

        return register

    return register_as


def import_families(*modules: str, optional: bool = False) -> None:
    """Import the engine modules ``modules``: importing one registers its operators.

    With ``optional``, a module that does not exist (a family still being written) is skipped; an
    import error inside an existing module is always raised.
    """
    for module in modules:
        name = f"{_PACKAGE}.{module}"
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if not optional or exc.name != name:
                raise
