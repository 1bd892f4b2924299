"""Cryptomatte 1.1: hashes, ranked layers, manifest, decode, golden EXR."""

from pathlib import Path

import numpy as np
import pytest

from ultimate_roto.core.errors import InputError, MediaError
from ultimate_roto.core.exporters import cryptomatte as C

GOLDEN = Path(__file__).parents[2] / "data" / "cryptomatte_golden.exr"


def test_published_manifest_examples():
    # the spec's example manifest: {"bunny":"13851a76","default":"42c9679f"}
    assert C.manifest(["bunny", "default"]) == {"bunny": "13851a76", "default": "42c9679f"}


def test_murmur_reference_vectors():
    # MurmurHash3_x86_32 reference values (seed 0 / seed 1)
    assert C.murmurhash3_32(b"") == 0
    assert C.murmurhash3_32(b"", seed=1) == 0x514E28B7
    assert C.murmurhash3_32(b"hello") == 0x248BFA47
    assert C.murmurhash3_32("héros".encode()) == C.murmurhash3_32(b"h\xc3\xa9ros")


def test_ids_are_finite_normal_floats():
    for name in [f"obj{i}" for i in range(2000)]:
        v = C.name_to_id(name)
        assert np.isfinite(v) and (v == 0 or abs(v) >= np.finfo(np.float32).tiny)


def _coverages(h=6, w=8):
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    a = np.clip(xx / (w - 1), 0, 1) * 0.7
    b = np.clip(yy / (h - 1), 0, 1) * 0.3
    c = np.zeros((h, w), np.float32)
    c[0, 0] = 0.25
    return {"hero": a, "car": b, "tree": c}


def test_encode_ranks_and_decode_round_trip():
    cov = _coverages()
    chans, header = C.encode(cov, ranks=6)
    assert sorted({k.split(".")[0] for k in chans}) == [
        "CryptoObject00",
        "CryptoObject01",
        "CryptoObject02",
    ]
    assert all(a.dtype == np.float32 for a in chans.values())
    r0, r1 = chans["CryptoObject00.G"], chans["CryptoObject00.A"]
    assert np.all(r0 >= r1)  # rank 0 holds the largest coverage
    key = C.type_key("CryptoObject")
    assert header[f"cryptomatte/{key}/hash"] == "MurmurHash3_32"
    assert header[f"cryptomatte/{key}/conversion"] == "uint32_to_float32"
    back = C.decode(chans, header)
    total = sum(back.values())
    np.testing.assert_allclose(total, 1.0, atol=1e-6)
    for name, arr in cov.items():
        np.testing.assert_allclose(back[name], arr, atol=1e-6)


def test_overlapping_mattes_are_normalised():
    ones = np.ones((2, 2), np.float32)
    back = C.decode(*C.encode({"a": ones, "b": ones}))
    np.testing.assert_allclose(back["a"], 0.5)
    np.testing.assert_allclose(back["background"], 0.0)


def test_bad_inputs():
    with pytest.raises(InputError, match="different"):
        C.encode({"a": np.zeros((2, 2)), "b": np.zeros((3, 2))})
    with pytest.raises(InputError, match="even"):
        C.encode({"a": np.zeros((2, 2))}, ranks=5)
    with pytest.raises(InputError, match="background"):
        C.encode({"background": np.zeros((2, 2))})
    with pytest.raises(MediaError):
        C.decode({}, {})


def test_golden_file_matches_encoder():
    from ultimate_roto.core.exporters.exr import read_exr_channels

    chans, header = read_exr_channels(GOLDEN)
    want, want_header = C.encode(_coverages(), ranks=6)
    for name, arr in want.items():
        assert np.array_equal(chans[name].view(np.uint32), arr.view(np.uint32)), name
    for k, v in want_header.items():
        assert header[k] == v
