"""How close the client gets to a rate budget: requests/min sustained and 429s hit.

Runs the invitee fan-out (one paginated call per scheduled event, on the client's thread pool)
against a sandbox limited to `--limit` requests per minute, and prints the sustained rate, its
share of the budget and the number of 429s the sandbox served.

    uv run python benchmarks/rate_budget.py                 # ~1,200 requests, about 2.5 minutes
    uv run python benchmarks/rate_budget.py --requests 600 --limit 500 --workers 8
"""

from __future__ import annotations

import argparse
import itertools
import time

from calendly_pipeline.client import CalendlyClient, PersonalAccessToken
from calendly_pipeline.sandbox import SandboxConfig, start_sandbox


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1200, help="requests to send")
    parser.add_argument("--limit", type=int, default=500, help="sandbox budget per minute")
    parser.add_argument("--workers", type=int, default=4, help="fan-out threads")
    args = parser.parse_args()

    config = SandboxConfig(scale="tiny", rate_limit_per_minute=args.limit)
    with start_sandbox(config) as sb:
        # Event URIs are read from the ground truth so the timed run is only the fan-out.
        with CalendlyClient(sb.base_url, PersonalAccessToken(sb.tokens["owner"])) as setup:
            org = setup.caller().organization_uri
            events = [e["uri"] for e in setup.paginate("/scheduled_events", {"organization": org})]
        before = sb.stats()
        client = CalendlyClient(
            sb.base_url, PersonalAccessToken(sb.tokens["owner"]), max_workers=args.workers
        )
        targets = itertools.islice(itertools.cycle(events), args.requests)
        started = time.monotonic()
        for _ in client.fetch_all(lambda uri: client.get(f"{uri}/invitees"), targets):
            pass
        elapsed = time.monotonic() - started
        after = sb.stats()

    sent = client.request_count
    rate = sent / elapsed * 60
    print(f"sandbox budget      {args.limit} requests/min (fixed 60 s windows)")
    print(f"requests sent       {sent} ({args.workers} threads) in {elapsed:.1f} s")
    print(f"sustained rate      {rate:.0f} requests/min = {rate / args.limit:.1%} of the budget")
    print(f"429 responses       {after.get('429', 0) - before.get('429', 0)}")


if __name__ == "__main__":
    main()
