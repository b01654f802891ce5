"""README's commands paste and run as written (issue 16).

Every `bash` block must at least parse; the cheap ones, marked `<!-- readme-test: runs -->`, run
here as written against a small warehouse in `data/` of a scratch directory. The slow ones (a
full sync, the suite, benchmarks) run in CI, `.ci/run` and the pipeline tests.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from calendly_pipeline_tests.conftest import REPO_ROOT
from calendly_pipeline_tests.dashboard.builder import build_dashboard_db

README = REPO_ROOT / "README.md"
RUNS = "<!-- readme-test: runs -->"
BLOCK = re.compile(r"(?P<before>[^\n]*)\n```bash\n(?P<body>.*?)\n```", re.DOTALL)


def bash_blocks() -> list[tuple[bool, str]]:
    """(marked runnable, text) of every fenced bash block, in order."""
    text = README.read_text()
    return [(m["before"].strip() == RUNS, m["body"]) for m in BLOCK.finditer(text)]


def test_every_bash_block_parses() -> None:
    blocks = bash_blocks()
    assert len(blocks) >= 5
    for _, body in blocks:
        done = subprocess.run(["bash", "-n"], input=body, capture_output=True, text=True)
        assert done.returncode == 0, f"{done.stderr}\nin:\n{body}"


@pytest.mark.parametrize("body", [body for runs, body in bash_blocks() if runs])
def test_marked_blocks_run_as_written(body: str, tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    build_dashboard_db(str(tmp_path / "data" / "calendly.duckdb"))
    # The checkout's project and venv, used as they are (no sync of the shared venv).
    env = {**os.environ, "UV_PROJECT": str(REPO_ROOT), "UV_NO_SYNC": "1"}
    done = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", body],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"{done.stderr[-2000:]}\nin:\n{body}"
    assert done.stdout.strip(), "the block printed nothing"


def test_ci_runs_readmes_test_command() -> None:
    """`.ci/run` ends in README's "run the tests" command; the demo command skips dev tools."""
    first = bash_blocks()[0][1].splitlines()
    demo, tests = (line.split("#")[0].strip() for line in first[:2])
    assert "uv sync --locked --no-dev" in demo
    # The demo is chosen on purpose: without --demo (and credentials) `sync` exits 2.
    assert "uv run --no-dev calendly-pipeline sync --demo" in demo
    ci = (REPO_ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert ci.replace("pip install -q ", "pip install ") == re.sub(r"\s+", " ", tests)


def test_readme_names_the_asset_groups_the_ui_shows() -> None:
    """README's "In the Dagster UI" list is the definitions' groups, and says how many."""
    from calendly_pipeline.definitions import defs

    text = README.read_text()
    intro = re.search(r"shows (\w+) asset groups:\n\n((?:- .*\n(?:  .*\n)*)+)", text)
    assert intro, "README does not list the asset groups"
    listed = re.findall(r"^- `([a-z_]+)`", intro[2], re.MULTILINE)
    groups = {spec.group_name for spec in defs().resolve_all_asset_specs()}
    assert set(listed) == groups
    words = {2: "two", 3: "three", 4: "four", 5: "five"}
    assert intro[1] == words[len(groups)]
