"""How close the pipeline gets to a rate budget: requests/min sustained, 429s, and wall time
against `requests / limit`.

Default: a full pipeline sync (`calendly-pipeline sync`, in a child process) of a small
organization against a sandbox limited to `--limit` requests per minute, once per limit given.
`--fanout` instead times the client alone: the invitee fan-out (one paginated call per event on
the client's thread pool), `--requests` calls, split over `--clients` clients that share one
token, as parallel runs of the pipeline would.

    uv run python benchmarks/rate_budget.py                        # 500/min and 100/min, ~8 min
    uv run python benchmarks/rate_budget.py --limit 500 --scale 12:1500:60
    uv run python benchmarks/rate_budget.py --fanout --requests 1200 --limit 500 --workers 8
    uv run python benchmarks/rate_budget.py --fanout --clients 2 --limit 300   # parallel runs
"""

from __future__ import annotations

import argparse
import itertools
import time
from concurrent.futures import ThreadPoolExecutor

from _common import (
    ChildRun,
    full_range,
    machine,
    parse_scale,
    sandbox_config,
    workspace,
)
from rich.console import Console
from rich.table import Table

from calendly_pipeline.client import CalendlyClient, PersonalAccessToken
from calendly_pipeline.sandbox import start_sandbox

# Scales sized so that each run spans about three budget windows: a run shorter than one
# window never waits, and the start-up of the run would dominate.
DEFAULT_SCALE = {500: "12:1500:60", 100: "tiny"}


def sync_once(scale_name: str, limit: int) -> ChildRun:
    with start_sandbox(sandbox_config(parse_scale(scale_name), limit)) as sb:
        first, last = full_range(sb)
        with workspace(sb, first) as ws:
            return ws.sync(sb, first, last)


def pipeline_run(limit: int, scale_name: str) -> list[str]:
    """The limited run, and the same sync unlimited: its wall time bounds what the run spends
    outside the API (start-up, writes, analytics, dashboard)."""
    free = sync_once(scale_name, 0)
    run = sync_once(scale_name, limit)
    floor = run.requests / limit * 60
    return [
        f"{limit}/min", scale_name, f"{run.requests:,}", f"{run.wall_s:,.0f}",
        f"{free.wall_s:,.0f}", f"{floor:,.0f}", f"{run.wall_s / floor:.2f}",
        f"{(run.wall_s - free.wall_s) / floor:.2f}", f"{run.requests / run.wall_s * 60:,.0f}",
        str(run.status_429),
    ]  # fmt: skip


def fanout_run(limit: int, requests: int, workers: int, clients: int) -> None:
    """`clients` independent clients (parallel runs) share one token's budget."""
    with start_sandbox(sandbox_config(parse_scale("tiny"), limit)) as sb:
        token = PersonalAccessToken(sb.tokens["owner"])
        # Event URIs are read before the timed part so that it is only the fan-out.
        with CalendlyClient(sb.base_url, token) as setup:
            org = setup.caller().organization_uri
            events = [e["uri"] for e in setup.paginate("/scheduled_events", {"organization": org})]
        before = sb.stats()
        runs = [CalendlyClient(sb.base_url, token, max_workers=workers) for _ in range(clients)]

        def drain(client: CalendlyClient) -> None:
            targets = itertools.islice(itertools.cycle(events), requests // clients)
            for _ in client.fetch_all(lambda uri: client.get(f"{uri}/invitees"), targets):
                pass

        started = time.monotonic()
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(drain, runs))
        elapsed = time.monotonic() - started
        after = sb.stats()
    sent = sum(client.request_count for client in runs)
    rate = sent / elapsed * 60
    print(f"sandbox budget      {limit} requests/min (fixed 60 s windows)")
    print(f"requests sent       {sent} ({clients} client(s) x {workers} threads), {elapsed:.1f} s")
    print(f"sustained rate      {rate:.0f} requests/min = {rate / limit:.1%} of the budget")
    print(f"wall / floor        {elapsed / (sent / limit * 60):.2f}")
    print(f"429 responses       {after.get('429', 0) - before.get('429', 0)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, action="append", help="sandbox budget per minute")
    parser.add_argument("--scale", help="organization to sync (named or USERS:EVENTS:DAYS)")
    parser.add_argument("--fanout", action="store_true", help="time the client's fan-out only")
    parser.add_argument("--requests", type=int, default=1200, help="--fanout: requests to send")
    parser.add_argument("--workers", type=int, default=4, help="--fanout: threads per client")
    parser.add_argument(
        "--clients", type=int, default=1, help="--fanout: parallel clients on one token"
    )
    args = parser.parse_args()
    limits = args.limit or list(DEFAULT_SCALE)
    print(machine())
    if args.fanout:
        for limit in limits:
            fanout_run(limit, args.requests, args.workers, args.clients)
        return
    table = Table(title="full sync under a rate limit; floor = requests / limit")
    for col in ("limit", "scale", "requests", "wall s", "unlimited wall s", "floor s",
                "wall/floor", "(wall-unlimited)/floor", "requests/min", "429s"):  # fmt: skip
        table.add_column(col, justify="right")
    for limit in limits:
        table.add_row(*pipeline_run(limit, args.scale or DEFAULT_SCALE.get(limit, "tiny")))
    Console().print(table)


if __name__ == "__main__":
    main()
