"""Hit/miss and size statistics of the tiered cache, per tier and per kind."""

from __future__ import annotations

from dataclasses import dataclass, field


def format_bytes(n: int | float) -> str:
    """Human-readable size: ``1536`` -> ``"1.5 KiB"``."""
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(value) < 1024.0 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024.0
    return f"{value:.1f} GiB"  # pragma: no cover - the loop always returns


class _Lookups:
    """``lookups`` and ``hit_rate`` from the ``hits_ram``/``hits_disk``/``misses`` counters."""

    hits_ram: int
    hits_disk: int
    misses: int

    @property
    def lookups(self) -> int:
        """RAM hits + disk hits + misses."""
        return self.hits_ram + self.hits_disk + self.misses

    @property
    def hit_rate(self) -> float:
        """Fraction of lookups served from RAM or disk (0.0 when nothing was looked up)."""
        return (self.hits_ram + self.hits_disk) / self.lookups if self.lookups else 0.0


@dataclass
class KindStats(_Lookups):
    """Counters and sizes for one kind ("frame", "embedding" ...)."""

    hits_ram: int = 0
    hits_disk: int = 0
    misses: int = 0
    ram_bytes: int = 0
    disk_bytes: int = 0
    ram_entries: int = 0
    disk_entries: int = 0
    ram_budget: int | None = None  # per-kind RAM budget, None = only the total applies


@dataclass
class CacheStats(_Lookups):
    """A snapshot of a :class:`~ultimate_roto.core.cache.TieredCache` (safe to keep and read).

    ``entries`` counts distinct keys held in any tier (a value can be in RAM and on disk at
    once). ``evictions`` counts values pushed out of RAM by a budget (spilled to disk or
    dropped); ``disk_evictions`` counts files deleted by the disk budget.
    """

    ram_bytes: int = 0
    ram_budget: int = 0
    disk_bytes: int = 0
    disk_budget: int = 0
    hits_ram: int = 0
    hits_disk: int = 0
    misses: int = 0
    evictions: int = 0
    disk_evictions: int = 0
    spills: int = 0
    entries: int = 0
    ram_entries: int = 0
    disk_entries: int = 0
    per_kind: dict[str, KindStats] = field(default_factory=dict)

    def summary(self) -> str:
        """Multi-line text for ``--batch -v`` output."""
        lines = [
            f"cache: {self.entries} entries, hit rate {self.hit_rate:.1%} "
            f"({self.hits_ram} RAM + {self.hits_disk} disk hits, {self.misses} misses)",
            f"  RAM  {format_bytes(self.ram_bytes)} of {format_bytes(self.ram_budget)} "
            f"in {self.ram_entries} entries, {self.evictions} evictions, {self.spills} spilled",
        ]
        if self.disk_budget:
            lines.append(
                f"  disk {format_bytes(self.disk_bytes)} of {format_bytes(self.disk_budget)} "
                f"in {self.disk_entries} files, {self.disk_evictions} evictions"
            )
        else:
            lines.append("  disk tier off")
        for kind, ks in sorted(self.per_kind.items()):
            if not (ks.lookups or ks.ram_entries or ks.disk_entries):
                continue
            budget = f" (budget {format_bytes(ks.ram_budget)})" if ks.ram_budget is not None else ""
            lines.append(
                f"  {kind:<10} RAM {format_bytes(ks.ram_bytes)}{budget} / {ks.ram_entries}, "
                f"disk {format_bytes(ks.disk_bytes)} / {ks.disk_entries}, "
                f"hits {ks.hits_ram}+{ks.hits_disk}, misses {ks.misses} ({ks.hit_rate:.1%})"
            )
        return "\n".join(lines)
