"""The fault-free reference: one sync per window of the seed-7 tiny organization, cached."""

from __future__ import annotations

import pytest

from calendly_pipeline_tests.pipeline.harness import pipeline
from calendly_pipeline_tests.reliability.support import Reference, Rows, Window, rows


@pytest.fixture(scope="session")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Reference:
    """`reference(window)`: the normalized tables of a fault-free sync of that window."""
    cache: dict[Window, Rows] = {}

    def get(window: Window) -> Rows:
        if window not in cache:
            with pipeline(tmp_path_factory.mktemp("reference")) as p:
                outcome = p.sync(*window)
                assert outcome.success, outcome.error
                cache[window] = rows(p)
        return cache[window]

    return get
