"""Where a full sync spends its time: pyinstrument over `calendly-pipeline sync` in a child.

pyinstrument samples the main thread, which runs every asset body (paging, flattening, DuckDB
writes) and waits on the invitee fan-out threads; waiting shows up as `Future.result`.

    uv run python benchmarks/profile_sync.py                      # default organization
    uv run python benchmarks/profile_sync.py --scale large-recent --out /tmp/profile.txt
"""

from __future__ import annotations

import argparse
from pathlib import Path

from _common import full_range, machine, parse_scale, sandbox_config, workspace

from calendly_pipeline.sandbox import start_sandbox


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="default", help="named scale or USERS:EVENTS:DAYS")
    parser.add_argument("--out", type=Path, default=Path("profile_sync.txt"))
    parser.add_argument("--lines", type=int, default=60, help="lines of the profile to print")
    args = parser.parse_args()
    print(machine())
    with start_sandbox(sandbox_config(parse_scale(args.scale))) as sb:
        first, last = full_range(sb)
        with workspace(sb, first) as ws:
            run = ws.sync(sb, first, last, profile=args.out.resolve())
    print(
        f"full sync of {args.scale}: {run.requests:,} requests in {run.wall_s:,.1f} s "
        f"(under the profiler); full profile in {args.out}"
    )
    print("\n".join(args.out.read_text().splitlines()[: args.lines]))


if __name__ == "__main__":
    main()
