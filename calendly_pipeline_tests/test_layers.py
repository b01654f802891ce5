"""The layer contract of docs/architecture.md, checked by import-linter over the whole package.

The contracts live in pyproject.toml (`[tool.importlinter]`); every known exception there is an
`ignore_imports` line the architecture table names with its reason.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "calendly_pipeline"
PYPROJECT = ROOT / "pyproject.toml"


def test_import_contracts_hold() -> None:
    assert lint_imports(config_filename=str(PYPROJECT), no_cache=True, no_logo=True) == 0, (
        "an import breaks docs/architecture.md's layer table (run `uv run lint-imports`)"
    )


def _layer_names() -> set[str]:
    config = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]
    (layers,) = [c for c in config["contracts"] if c["type"] == "layers"]
    return {name.strip() for layer in layers["layers"] for name in re.split(r"[|:]", layer)}


def test_every_module_has_a_row_and_a_layer() -> None:
    """A new top-level module or sub-package must get a row in the table and a place in the
    layers contract, or the contract silently stops covering it."""
    modules = {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    modules |= {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    table = (ROOT / "docs" / "architecture.md").read_text().split("\n## ", 1)[0]
    rows = {
        name
        for line in table.splitlines()
        if line.startswith("| `")
        for name in re.findall(r"`([a-z_]+)(?:/|\.py)`", line.split("|")[1])
    }
    assert modules - rows == set(), "modules without a row in docs/architecture.md's table"
    assert modules - _layer_names() == set(), "modules outside the layers contract"
