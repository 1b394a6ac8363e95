"""The engine's tests mirror its modules: each test file is named after the module it tests."""

from __future__ import annotations

import pkgutil
from pathlib import Path

import dashboard.store.embedded as embedded

MODULES = {info.name for info in pkgutil.iter_modules(embedded.__path__)}


def test_every_test_file_is_named_after_a_module_or_the_package() -> None:
    # test_<module>.py, test_<module>_<aspect>.py, or test_embedded_<aspect>.py for the whole engine.
    stray = [
        path.name
        for path in sorted(Path(__file__).parent.glob("test_*.py"))
        if not path.stem.removeprefix("test_").startswith("embedded_")
        and not any(
            path.stem == f"test_{module}" or path.stem.startswith(f"test_{module}_")
            for module in MODULES
        )
    ]
    assert stray == []
