"""Multi-layer EXR frames: build → write_exr → read back → compare channels and metadata."""

from fractions import Fraction

import numpy as np
import pytest

from ultimate_roto import __version__
from ultimate_roto.core.errors import InputError
from ultimate_roto.core.exporters import cryptomatte
from ultimate_roto.core.exporters.exr import read_exr_channels
from ultimate_roto.core.exporters.exr_layers import build_frame, write_frame
from ultimate_roto.core.exporters.names import sanitize_names

H, W = 12, 16


def _inputs():
    rng = np.random.default_rng(3)
    plate = rng.random((H, W, 3), dtype=np.float32)
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    hero = np.clip(xx / (W - 1), 0, 1)
    car = (yy > 6).astype(np.float32) * 0.5
    return plate, {"hero": hero, "my car": car}


def test_full_frame_round_trip(tmp_path):
    plate, mattes = _inputs()
    depth = np.linspace(1, 1000, H * W, dtype=np.float32).reshape(H, W)
    normals = np.dstack([np.full((H, W), v, np.float32) for v in (0.1, -0.2, 0.97)])
    motion = np.dstack([np.full((H, W), 1.5, np.float32), np.full((H, W), -2.25, np.float32)])
    names = sanitize_names(mattes)
    frame = build_frame(
        plate=plate,
        mattes=mattes,
        depth=depth,
        normals=normals,
        motion=motion,
        names=names,
        shot="sh010",
        frame=1001,
        fps=Fraction(24000, 1001),
        timecode="01:00:00:00",
    )
    path = write_frame(tmp_path / "f.1001.exr", frame)
    chans, header = read_exr_channels(path)
    assert set(chans) == set(frame.channels)
    for name in ("hero.A", "my_car.A", "matte.A", "R", "A", "N.Z", "motion.Y"):
        assert chans[name].dtype == np.float16
        np.testing.assert_allclose(chans[name], frame.channels[name], atol=1e-3, rtol=1e-3)
    for name in ("depth.Z", "id.V", "CryptoObject00.R", "CryptoObject02.A"):
        assert chans[name].dtype == np.float32
        np.testing.assert_array_equal(chans[name], frame.channels[name])
    np.testing.assert_array_equal(chans["depth.Z"], depth)
    np.testing.assert_allclose(
        chans["matte.A"], np.maximum(mattes["hero"], mattes["my car"]), atol=1e-3
    )
    assert header["shot"] == "sh010" and header["frame"] == 1001
    assert header["softwareVersion"] == __version__ and "Ultimate Roto" in header["software"]
    assert header["timeCode"] == "01:00:00:00"
    assert header["framesPerSecond"] == Fraction(24000, 1001)
    decoded = cryptomatte.decode(chans, header)
    assert set(decoded) == {"hero", "my_car", "background"}
    np.testing.assert_allclose(sum(decoded.values()), 1.0, atol=1e-5)
    np.testing.assert_allclose(
        decoded["my_car"],
        np.clip(mattes["my car"], 0, 1) / np.maximum(1, mattes["hero"] + mattes["my car"]),
        atol=1e-5,
    )


def test_ids_premultiply_and_aov_selection():
    plate, mattes = _inputs()
    frame = build_frame(
        plate=plate,
        mattes=mattes,
        aovs=("rgba", "ids"),
        premultiply_by="hero",
        names=sanitize_names(mattes),
        half=False,
    )
    assert set(frame.channels) == {"R", "G", "B", "A", "id.V"}
    assert set(frame.pixel_types.values()) == {"float"}
    np.testing.assert_allclose(frame.channels["R"], plate[..., 0] * mattes["hero"])
    ids = frame.channels["id.V"]
    assert ids[0, 0] == 0  # nothing ≥ 0.5 there
    assert ids[0, W - 1] == 1  # "hero" sorts first
    assert ids[H - 1, 0] == 2  # only "my car" (0.5) there


def test_illegal_names_warn_and_stay_legal():
    plate, mattes = _inputs()
    with pytest.warns(UserWarning, match="renamed"):
        frame = build_frame(plate=plate, mattes=mattes, aovs=("objects",))
    assert set(frame.channels) == {"hero.A", "my_car.A"}


def test_empty_mattes_warn_but_build():
    plate, _ = _inputs()
    empty = {"hero": np.zeros((H, W), np.float32)}
    with pytest.warns(UserWarning, match="empty"):
        frame = build_frame(plate=plate, mattes=empty, names=sanitize_names(empty))
    np.testing.assert_allclose(cryptomatte.decode(frame.channels, frame.header)["background"], 1)


def test_bad_inputs():
    plate, mattes = _inputs()
    names = sanitize_names(mattes)
    with pytest.raises(InputError, match="plate is"):
        build_frame(plate=plate, mattes={"hero": np.zeros((H + 1, W))}, names=names)
    with pytest.raises(InputError, match="depth"):
        build_frame(plate=plate, mattes=mattes, names=names, depth=np.zeros((2, 2)))
    with pytest.raises(InputError, match="unknown AOV"):
        build_frame(plate=plate, mattes=mattes, names=names, aovs=("rgba", "fog"))
    with pytest.raises(InputError, match="premultiply_by"):
        build_frame(plate=plate, mattes=mattes, names=names, premultiply_by="nobody")
    with pytest.raises(InputError, match="lossy"):
        write_frame("x.exr", build_frame(plate=plate, mattes=mattes, names=names), "dwaa")
