"""A record the API served that cannot be loaded: what `transforms.flatten` sets aside and
`storage.rejected` keeps in `meta.rejected_records`, so both layers share the one shape."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Rejected:
    """One record that could not be loaded into `table` (a qualified name, e.g. `raw.users`)."""

    table: str
    key: str | None
    reason: str
    record: Any

    @property
    def record_json(self) -> str:
        return json.dumps(self.record, default=str, sort_keys=True)

    @property
    def record_id(self) -> str:
        return hashlib.sha256(f"{self.table}\n{self.record_json}".encode()).hexdigest()
