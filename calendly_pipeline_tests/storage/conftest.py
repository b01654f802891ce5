"""Real DuckDB files in tmp_path, and realistic API objects from the official spec's examples."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from calendly_pipeline.storage import database, migrations


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    return str(tmp_path / "data" / "calendly.duckdb")


@pytest.fixture
def conn(db_path: str) -> Iterator[duckdb.DuckDBPyConnection]:
    """A migrated database file, closed after the test."""
    with database.connection(db_path) as c:
        migrations.migrate(c)
        yield c


@pytest.fixture(scope="session")
def spec_2023(spec_dir: Path) -> dict[str, Any]:
    path = spec_dir / "openapi-2023-04-speakeasy.yaml"
    if not path.is_file():
        pytest.skip(
            f"Calendly spec not found at {path}: set CALENDLY_API_SPEC_DIR to the folder "
            "holding openapi-2023-04-speakeasy.yaml"
        )
    return yaml.safe_load(path.read_text())


@pytest.fixture
def example(spec_2023: dict[str, Any]):
    """`example(path)` -> the collection (or resource) of the spec's 200 example for GET path."""

    def get(path: str, name: str = "Example") -> Any:
        content = spec_2023["paths"][path]["get"]["responses"]["200"]["content"]
        value = copy.deepcopy(content["application/json"]["examples"][name]["value"])
        return value.get("collection", value.get("resource"))

    return get
