"""``crypto`` stays free of Flask, the database layer and the application (DESIGN §2)."""

from __future__ import annotations

import ast
from pathlib import Path

CRYPTO = Path(__file__).resolve().parents[2] / "crypto"
FORBIDDEN = ("flask", "flask_", "portal", "forms", "werkzeug", "sqlalchemy", "jinja2")


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    return modules


def test_crypto_imports_nothing_from_the_web_application():
    files = sorted(CRYPTO.glob("*.py"))
    assert len(files) >= 8
    for path in files:
        for module in _imported_modules(path):
            assert not module.startswith(FORBIDDEN), f"{path.name} imports {module}"


def test_primitives_are_private():
    import crypto

    assert not any(name.startswith("_") for name in crypto.__all__)
    outside = [
        path
        for path in Path(__file__).resolve().parents[2].rglob("*.py")
        if "crypto" not in path.parts
        and ".venv" not in path.parts
        and "node_modules" not in path.parts
        and "crypto._primitives" in path.read_text(encoding="utf-8")
    ]
    assert outside == []
