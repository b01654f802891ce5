"""What every renderer reads of the world."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from calendly_pipeline.sandbox.world import World


class WorldView:
    """A renderer's handles on the world: its data and config (never replaced) and identifiers.

    The clock and the controls' overlays are read through `world`, which changes them.
    """

    def __init__(self, world: World) -> None:
        self.world, self.data, self.cfg = world, world.data, world.cfg
        self.uri, self.org_uri = world.uri, world.org_uri
