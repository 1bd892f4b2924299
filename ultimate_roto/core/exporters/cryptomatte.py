"""Cryptomatte (Psyop spec 1.1) encoding: MurmurHash3 ids, ranked id/coverage layers, manifest.

MurmurHash3_x86_32 is written out here (about 20 lines) because the ``mmh3`` package is not a
dependency; it is checked against the spec's published manifest examples (``bunny`` →
``13851a76``, ``default`` → ``42c9679f``) in the tests.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping

import numpy as np

from ultimate_roto.core.errors import InputError, MediaError

_M32 = 0xFFFFFFFF
BACKGROUND = "background"
DEFAULT_TYPE = "CryptoObject"


def _rotl(x: int, r: int) -> int:
    return ((x << r) | (x >> (32 - r))) & _M32


def murmurhash3_32(data: bytes, seed: int = 0) -> int:
    """MurmurHash3_x86_32 of ``data`` (unsigned 32-bit result)."""
    c1, c2 = 0xCC9E2D51, 0x1B873593
    h = seed & _M32
    nblocks = len(data) // 4
    for i in range(nblocks):
        k = int.from_bytes(data[4 * i : 4 * i + 4], "little")
        k = _rotl((k * c1) & _M32, 15) * c2 & _M32
        h = (_rotl(h ^ k, 13) * 5 + 0xE6546B64) & _M32
    tail = data[4 * nblocks :]
    k = 0
    for j in range(len(tail) - 1, -1, -1):
        k ^= tail[j] << (8 * j)
    if tail:
        h ^= _rotl((k * c1) & _M32, 15) * c2 & _M32
    h ^= len(data)
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & _M32
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & _M32
    return h ^ (h >> 16)


def name_hash_bits(name: str) -> int:
    """The 32 bits of a name's id: its hash with the float exponent kept within [1, 254]."""
    h = murmurhash3_32(name.encode("utf-8"))
    exponent = (h >> 23) & 0xFF
    if exponent in (0, 255):  # no denormals, inf or NaN: flip the lowest exponent bit
        h ^= 1 << 23
    return h


def name_to_id(name: str) -> np.float32:
    """The float32 id of ``name`` (the hash bits reinterpreted, bit for bit)."""
    return np.array([name_hash_bits(name)], dtype=np.uint32).view(np.float32)[0]


def manifest(names: list[str] | tuple[str, ...]) -> dict[str, str]:
    """``{name: 8-hex-digit id bits}``, the Cryptomatte manifest."""
    return {n: f"{name_hash_bits(n):08x}" for n in sorted(names)}


def type_key(type_name: str) -> str:
    """The 7-character metadata key of a Cryptomatte type (first 7 hex digits of its hash)."""
    return f"{murmurhash3_32(type_name.encode('utf-8')):08x}"[:7]


def layer_names(type_name: str = DEFAULT_TYPE, ranks: int = 6) -> list[str]:
    """``CryptoObject00`` … one layer per two ranks."""
    return [f"{type_name}{k:02d}" for k in range(math.ceil(ranks / 2))]


def _stack(coverages: Mapping[str, np.ndarray], background: str | None) -> tuple[list, np.ndarray]:
    if not coverages:
        raise InputError("Cryptomatte: no objects given", hint="pass at least one object matte")
    names = sorted(coverages)
    if background is not None and background in coverages:
        raise InputError(
            f"Cryptomatte: an object is called {background!r}, the name kept for the background",
            hint="rename that object",
        )
    shapes = {np.shape(coverages[n]) for n in names}
    if len(shapes) != 1 or len(next(iter(shapes))) != 2:
        raise InputError(
            f"Cryptomatte: object mattes have different or non-2-D shapes {sorted(shapes)}",
            hint="every object's matte must be (H, W) at the plate size",
        )
    cov = np.stack([np.clip(np.asarray(coverages[n], np.float32), 0, 1) for n in names])
    total = cov.sum(axis=0)
    over = total > 1.0
    cov[:, over] /= total[over]  # overlapping soft mattes: share the pixel
    if background is not None:
        names.append(background)
        cov = np.concatenate([cov, np.clip(1.0 - cov.sum(axis=0), 0, 1)[None]])
    return names, cov


def encode(
    coverages: Mapping[str, np.ndarray],
    ranks: int = 6,
    *,
    type_name: str = DEFAULT_TYPE,
    background: str | None = BACKGROUND,
) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Encode soft object mattes as Cryptomatte channels and header metadata.

    Parameters
    ----------
    coverages
        ``{object name: (H, W) float alpha in [0, 1]}``. Where the alphas sum above 1 they are
        scaled to sum to 1.
    ranks
        Ranks stored per pixel (even; 6 gives layers ``00..02``). Keep it constant for a sequence.
    type_name
        The Cryptomatte type (layer prefix), ``CryptoObject`` by default.
    background
        Name given to the remainder ``1 - sum(alpha)``; ``None`` leaves it out.

    Returns
    -------
    channels, header
        ``{"CryptoObject00.R": float32 …}`` (R, B = ids; G, A = coverage) and the
        ``cryptomatte/<key>/name|hash|conversion|manifest`` attributes.
    """
    if ranks < 2 or ranks % 2:
        raise InputError(f"Cryptomatte: ranks={ranks} must be an even number ≥ 2", hint="use 6")
    names, cov = _stack(coverages, background)
    ids = np.array([name_to_id(n) for n in names], dtype=np.float32)
    order = np.argsort(-cov, axis=0, kind="stable")[:ranks]
    top_cov = np.take_along_axis(cov, order, axis=0)
    top_ids = np.where(top_cov > 0, ids[order], np.float32(0))
    if len(names) < ranks:  # fewer objects than ranks: the missing ranks stay empty
        pad = ((0, ranks - len(names)), (0, 0), (0, 0))
        top_cov, top_ids = np.pad(top_cov, pad), np.pad(top_ids, pad)
    channels: dict[str, np.ndarray] = {}
    for k, layer in enumerate(layer_names(type_name, ranks)):
        for chan, plane in zip(
            "RGBA",
            (top_ids[2 * k], top_cov[2 * k], top_ids[2 * k + 1], top_cov[2 * k + 1]),
            strict=True,
        ):
            channels[f"{layer}.{chan}"] = np.ascontiguousarray(plane, dtype=np.float32)
    return channels, header_for(type_name, names)


def header_for(type_name: str, names: list[str]) -> dict[str, str]:
    """The Cryptomatte header attributes for ``type_name`` with ``names`` in the manifest."""
    prefix = f"cryptomatte/{type_key(type_name)}/"
    return {
        prefix + "name": type_name,
        prefix + "hash": "MurmurHash3_32",
        prefix + "conversion": "uint32_to_float32",
        prefix + "manifest": json.dumps(manifest(names), sort_keys=True, separators=(",", ":")),
    }


def decode(
    channels: Mapping[str, np.ndarray], header: Mapping[str, object]
) -> dict[str, np.ndarray]:
    """Coverage per manifest name, summed over every rank (the inverse of :func:`encode`)."""
    keys = [k for k in header if k.startswith("cryptomatte/") and k.endswith("/name")]
    if not keys:
        raise MediaError("no Cryptomatte metadata in the header", hint="was it written by encode?")
    prefix = keys[0][: -len("name")]
    type_name = str(header[keys[0]])
    names = json.loads(str(header[prefix + "manifest"]))
    layers = sorted({c.split(".")[0] for c in channels if c.startswith(type_name)})
    if not layers:
        raise MediaError(f"no {type_name}NN channels found", hint="check the EXR's layers")
    shape = np.shape(channels[f"{layers[0]}.R"])
    out = {n: np.zeros(shape, np.float32) for n in names}
    bits = {int(h, 16): n for n, h in names.items()}
    for layer in layers:
        for id_c, cov_c in (("R", "G"), ("B", "A")):
            ids = np.ascontiguousarray(channels[f"{layer}.{id_c}"], np.float32).view(np.uint32)
            cov = np.asarray(channels[f"{layer}.{cov_c}"], np.float32)
            for b, n in bits.items():
                hit = ids == b
                out[n][hit] += cov[hit]
    return out
