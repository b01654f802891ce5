"""The five inner layers must stay free of Dagster so they can be reused and tested alone."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "calendly_pipeline"
DAGSTER_FREE = ["client", "sandbox", "transforms", "storage", "dashboard"]


@pytest.mark.parametrize("layer", DAGSTER_FREE)
def test_layer_does_not_import_dagster(layer: str) -> None:
    offenders = []
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [
                f"{path.name}: {n}" for n in names if n.split(".")[0].startswith("dagster")
            ]
    assert not offenders, f"{layer}/ must not import dagster: {offenders}"
