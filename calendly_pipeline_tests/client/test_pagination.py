"""Collections are read in full, one page at a time, and a repeated page token stops the loop."""

from __future__ import annotations

from typing import Any

import pytest

from calendly_pipeline.client import PaginationLoop
from calendly_pipeline.sandbox import FaultConfig
from calendly_pipeline_tests.client.support import make_client


def test_paged_collection_of_more_than_ten_pages_is_read_in_full(sandbox: Any) -> None:
    with make_client(sandbox) as client:
        org = client.caller().organization_uri
        pages = list(client.pages("/scheduled_events", {"organization": org}, count=20))
        items = [item for page in pages for item in page["collection"]]
        # Same filters, one big page at a time: the very same events.
        reference = list(client.paginate("/scheduled_events", {"organization": org}, count=100))

    assert len(pages) > 10
    assert len(items) == sandbox.world.counts()["scheduled_events"]
    assert len({item["uri"] for item in items}) == len(items)
    assert {item["uri"] for item in items} == {item["uri"] for item in reference}
    # Every page but the last is full: the filters were re-sent with each page token.
    assert all(len(page["collection"]) == 20 for page in pages[:-1])


def test_paginate_is_a_lazy_generator(sandbox: Any) -> None:
    with make_client(sandbox) as client:
        org = client.caller().organization_uri
        before = client.request_count
        stream = client.paginate("/scheduled_events", {"organization": org}, count=20)
        first = [next(stream) for _ in range(25)]
        # 25 items need two pages, not the whole collection.
        assert client.request_count - before == 2
        assert len({item["uri"] for item in first}) == 25


def test_repeated_page_token_raises_instead_of_looping(faulty: Any) -> None:
    faulty.set_faults(FaultConfig(repeat_page_token=True))
    with make_client(faulty) as client:
        org = client.caller().organization_uri
        with pytest.raises(PaginationLoop) as caught:
            for _ in client.paginate("/scheduled_events", {"organization": org}, count=20):
                pass
        assert client.request_count < 10
    assert "repeated a page token" in str(caught.value)
    assert caught.value.path == "/scheduled_events"
