"""Dagster previews stay tables whatever members name things (issue 13).

A real sync of the tiny sandbox, whose organization and a group carry a `|`, a newline, a
backslash and a Markdown link, then each preview is read back from the Dagster instance and
parsed with a real Markdown parser (markdown-it, GFM tables): every row has the header's number
of cells, the names read back as typed (the newline as a space), and no link was made.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dagster as dg
import pytest
from markdown_it import MarkdownIt

from calendly_pipeline_tests.pipeline.harness import AS_OF, Pipeline, pipeline

GROUP = "Sales | EMEA\nrow 2 | x\\y [Go](https://phish.example)"  # under the 60-char cap
ORG = "Acme | Robotics\nInc *bold* `code` <b>x</b>"


def _rows(md_text: str) -> list[list[str]]:
    """The table's rows as rendered cell texts (header first); fails if a link was made."""
    tokens = MarkdownIt("commonmark").enable("table").parse(md_text)
    rows: list[list[str]] = []
    for token in tokens:
        if token.type == "tr_open":
            rows.append([])
        elif token.type == "inline" and rows:
            kinds = {child.type for child in token.children or []}
            assert not kinds & {"link_open", "image", "html_inline", "em_open", "code_inline"}, (
                token.content
            )
            rows[-1].append("".join(child.content for child in token.children or []))
    return rows


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    with pipeline(tmp_path_factory.mktemp("markdown")) as p:
        world = p.sandbox.world
        world.rename(world.org_uri(), ORG)
        world.rename(p.sandbox.manifest()["members"][0]["groups"][0], GROUP)
        outcome = p.sync(AS_OF - timedelta(days=1), AS_OF)
        assert outcome.success, outcome.error
        yield p


def _preview(p: Pipeline, key: list[str]) -> str:
    event = p.instance.get_latest_materialization_event(dg.AssetKey(key))
    assert event is not None and event.asset_materialization is not None
    value = event.asset_materialization.metadata["preview"]
    assert isinstance(value, dg.MarkdownMetadataValue)
    return value.md_str


@pytest.mark.parametrize(
    ("key", "name"), [(["raw", "groups"], GROUP), (["raw", "organizations"], ORG)]
)
def test_preview_rows_keep_their_columns(synced: Pipeline, key: list[str], name: str) -> None:
    rows = _rows(_preview(synced, key))
    header, body = rows[0], rows[1:]
    assert body, "the preview has no rows"
    assert all(len(row) == len(header) for row in body), rows
    names = [row[header.index("name")] for row in body]
    assert name.replace("\n", " ") in names
    # Previews lead with the URI's id, not a long API URL cut at the right (issue 16).
    uris = [row[header.index("uri")] for row in body]
    assert all(uri and "/" not in uri and not uri.startswith("http") for uri in uris), uris


def test_dashboard_headline_names_the_organization_as_typed(synced: Pipeline) -> None:
    event = synced.instance.get_latest_materialization_event(dg.AssetKey("dashboard"))
    assert event is not None and event.asset_materialization is not None
    headline = event.asset_materialization.metadata["headline"].value
    tokens = MarkdownIt("commonmark").enable("table").parse(headline)
    first = next(t for t in tokens if t.type == "inline")
    assert ORG.replace("\n", " ") in "".join(c.content for c in first.children or [])
    rows = _rows(headline)
    assert len(rows) == 2 and len(rows[0]) == len(rows[1])
    assert Path(synced.folder / "dashboard.html").exists()
