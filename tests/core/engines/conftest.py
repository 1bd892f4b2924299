"""Shared fixtures for engine tests: an isolated registry and small real-photo composites."""

from __future__ import annotations

import pytest

from ultimate_roto.core.engines import registry, synth


@pytest.fixture
def clean_registry():
    """The registry with its builtin specs; test registrations are removed afterwards."""
    registry.list_engines()  # discover builtins first
    saved = dict(registry._specs)
    yield registry
    registry._specs.clear()
    registry._specs.update(saved)


@pytest.fixture(scope="session")
def cup_still():
    """The real coffee cup over the real motorcycle photo, 320x180, with its exact mask."""
    return synth.still("cup", "motorcycle", 320, 180, size=0.7, x=0.45, y=0.5)
