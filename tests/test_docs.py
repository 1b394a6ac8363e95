"""The docs name tests as evidence (``docs/security.md``'s table of attacks and faults): each one
named must exist, or the doc claims a protection nothing checks."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
REFERENCE = re.compile(r"(tests/[\w/]+\.py)::(\w+)")


def _test_functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.startswith("test_")
    }


def _references() -> list[tuple[str, str, str]]:
    found = []
    for doc in DOCS:
        for file, name in REFERENCE.findall(doc.read_text()):
            found.append((doc.relative_to(ROOT).as_posix(), file, name))
    return found


def test_the_security_doc_names_its_tests() -> None:
    named = [r for r in _references() if r[0] == "docs/security.md"]
    assert len(named) >= 40


def test_every_test_named_in_the_docs_exists() -> None:
    missing = []
    for doc, file, name in _references():
        path = ROOT / file
        if not path.exists() or name not in _test_functions(path):
            missing.append(f"{doc}: {file}::{name}")
    assert missing == []
