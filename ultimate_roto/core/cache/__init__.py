"""Tiered (RAM, disk) byte-budget LRU cache keyed by media, frame, kind and params."""

from __future__ import annotations

from ultimate_roto.core.cache.keys import (
    BUILTIN_KINDS,
    CacheKey,
    register_kind,
    registered_kinds,
)
from ultimate_roto.core.cache.provider import FrameProvider
from ultimate_roto.core.cache.stats import CacheStats, KindStats
from ultimate_roto.core.cache.tiered import TieredCache

__all__ = [
    "BUILTIN_KINDS",
    "CacheKey",
    "CacheStats",
    "FrameProvider",
    "KindStats",
    "TieredCache",
    "register_kind",
    "registered_kinds",
]
