"""Frozen-clock app fixtures shared with tests/cases."""

from __future__ import annotations

from tests.cases.conftest import capi, clock

__all__ = ["capi", "clock"]
