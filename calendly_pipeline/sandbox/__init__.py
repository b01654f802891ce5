"""A local, seeded simulator of Calendly API v2 (docs/sandbox.md; architecture.md section 1)."""

from calendly_pipeline.sandbox.config import FaultConfig, SandboxConfig, Scale
from calendly_pipeline.sandbox.serve import Sandbox, start_sandbox

__all__ = ["FaultConfig", "Sandbox", "SandboxConfig", "Scale", "start_sandbox"]
