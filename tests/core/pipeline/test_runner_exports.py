"""run_job with production exports: multi-layer EXR (single/multi-part, {layer}), DPX log,
shape scripts, Flame, presets; validation, cancel, disk full then resume, empty masks."""

from __future__ import annotations

import errno

import numpy as np
import OpenEXR
import pytest

from ultimate_roto.core.errors import Cancelled, InputError, JobError, ProcessingError
from ultimate_roto.core.exporters import after_effects, cryptomatte, exr_layers, fusion
from ultimate_roto.core.exporters.exr import read_exr_channels
from ultimate_roto.core.jobspec import parse_job
from ultimate_roto.core.pipeline import export_jobs
from ultimate_roto.core.pipeline.runner import run_job
from ultimate_roto.core.pipeline.steps import register_step, unregister_step
from ultimate_roto.core.progress import Progress

W, H = 64, 48
OBJECTS = [{"name": "hero", "prompts": [{"frame": 1, "points": [[20, 20, 1]]}]},
           {"name": "my car", "prompts": [{"frame": 1, "points": [[50, 30, 1]]}]},
           {"name": "ghost", "prompts": [{"frame": 1, "points": [[5, 5, 1]]}]}]  # fmt: skip


def disk(f: int, cx: float, r: float) -> np.ndarray:
    y, x = np.mgrid[0:H, 0:W]
    return np.where(np.hypot(x - cx - 2 * f, y - 24) < r, 255, 0).astype(np.uint8)


@pytest.fixture
def plate(tmp_path):
    import cv2

    folder = tmp_path / "src"
    folder.mkdir()
    rng = np.random.default_rng(3)
    tex = cv2.GaussianBlur(rng.uniform(0, 255, (H, W + 20, 3)).astype(np.float32), (0, 0), 1.5)
    for n in range(1, 6):  # the whole picture moves 2 px right per frame
        img = tex[:, 10 - 2 * n : 10 - 2 * n + W]
        cv2.imwrite(
            str(folder / f"p.{n:04d}.png"), np.clip(img * 1.8 - 100, 0, 255).astype(np.uint8)
        )
    return folder / "p.####.png"


@pytest.fixture
def steps(monkeypatch):
    """t_seg: disks for hero/my car, nothing for ghost; t_depth: a ramp."""

    def seg(ctx):
        for f in ctx.frames:
            ctx.masks.set("hero", f, disk(f, 18, 9))
            ctx.masks.set("my car", f, disk(f, 42, 6))

    def depth(ctx):
        for f in ctx.frames:
            ctx.layers.put("depth", f, np.tile(np.linspace(0, 1, W, dtype=np.float32), (H, 1)))

    register_step("t_seg", seg, needs_objects=True)
    register_step("t_depth", depth)
    monkeypatch.setitem(export_jobs.PRODUCERS, "mask", ("segment", "t_seg"))
    monkeypatch.setitem(export_jobs.PRODUCERS, "depth", ("depth", "t_depth"))
    yield
    unregister_step("t_seg")
    unregister_step("t_depth")


def job(tmp_path, plate, exports, steps=("t_seg", "t_depth"), **extra):
    data = {"version": 1, "input": str(plate), "output_dir": "out", "objects": OBJECTS,
            "steps": list(steps), "exports": exports, **extra}  # fmt: skip
    return parse_job(data, tmp_path)


LAYERS = {"format": "exr", "what": "layers", "path": "comp/shot.####.exr", "start_frame": 1001,
          "aovs": ["rgba", "objects", "matte", "depth", "normals", "motion", "ids",
                   "cryptomatte"]}  # fmt: skip


def test_multilayer_exr_sequence(tmp_path, plate, steps):
    lines = []
    result = run_job(job(tmp_path, plate, [LAYERS]), Progress(), log=lines.append)
    files = sorted((tmp_path / "out" / "comp").glob("shot.*.exr"))
    assert [f.name for f in files] == [f"shot.{n}.exr" for n in range(1001, 1006)]
    chans, header = read_exr_channels(files[1])
    for name in ("R", "G", "B", "A", "hero.A", "my_car.A", "ghost.A", "matte.A", "depth.Z",
                 "N.X", "N.Z", "motion.X", "motion.Y", "id.V", "CryptoObject02.A"):  # fmt: skip
        assert name in chans, name
    assert chans["depth.Z"].dtype == np.float32 and chans["hero.A"].dtype == np.float16
    inner = chans["motion.X"][8:-8, 8:-8].astype(np.float32)
    assert abs(float(np.median(inner)) - 2.0) < 0.5  # forward flow in pixels
    assert header["frame"] == 1002 and header["shot"] and "Ultimate Roto" in header["software"]
    assert float(header["framesPerSecond"]) == 24
    cov = cryptomatte.decode(chans, header)
    assert np.abs(cov["hero"] - chans["hero.A"].astype(np.float32)).max() < 1e-3
    assert any("'my car' → my_car" in line for line in lines)  # renamed once, reported
    assert any("'ghost' has an empty matte on 5 frame(s)" in line for line in lines)
    assert "5 frame(s) written" in result.outputs[0]


def test_multipart_and_layer_files(tmp_path, plate, steps):
    exports = [{**LAYERS, "path": "mp/shot.####.exr", "multipart": True, "compression": "dwaa"},
               {"format": "png", "what": "layers", "path": "png/{layer}/{layer}.####.png",
                "aovs": ["rgba", "objects", "depth"], "bit_depth": 16}]  # fmt: skip
    run_job(job(tmp_path, plate, exports, frame_range=[1, 2]), Progress())
    with OpenEXR.File(str(tmp_path / "out/mp/shot.1001.exr"), separate_channels=True) as f:
        parts = {p.name(): p for p in f.parts}
        assert {"rgba", "hero", "my_car", "depth", "N", "motion", "id", "CryptoObject"} <= set(
            parts
        )
        assert parts["depth"].header["compression"] == OpenEXR.ZIP_COMPRESSION
        assert parts["rgba"].header["compression"] == OpenEXR.DWAA_COMPRESSION
    out = tmp_path / "out/png"
    assert sorted(p.name for p in out.iterdir()) == ["depth", "ghost", "hero", "my_car", "rgba"]
    assert len(list((out / "hero").glob("*.png"))) == 2


@pytest.mark.parametrize(
    ("exports", "steps_", "err", "text"),
    [([{**LAYERS, "aovs": ["rgba", "zdepth"]}], ("t_seg",), JobError, "valid AOVs: rgba"),
     ([{**LAYERS, "aovs": ["rgba", "depth"]}], ("t_seg",), InputError, "add 'depth' to steps"),
     ([{**LAYERS, "aovs": ["objects"]}], ("t_depth",), InputError, "add 'segment' to steps"),
     ([{**LAYERS, "premultiply": "nobody"}], ("t_seg", "t_depth"), JobError, "premultiply"),
     ([{**LAYERS, "compression": "dwaa"}], ("t_seg", "t_depth"), JobError, "lossy"),
     ([{"format": "png", "what": "layers", "path": "a.####.png"}], (), JobError, "{layer}"),
     ([{"format": "nuke", "path": "a.nk"}], ("t_depth",), InputError, "add 'segment'"),
     ([{"format": "dpx", "what": "layers", "path": "{layer}.####.dpx", "encoding": "log"}],
      ("t_seg",), JobError, "log")],
)  # fmt: skip
def test_validation_before_any_work(tmp_path, plate, steps, exports, steps_, err, text):
    with pytest.raises(err) as info:
        run_job(job(tmp_path, plate, exports, steps=steps_), Progress())
    assert text in info.value.message + (info.value.hint or "")
    assert not (tmp_path / "out").exists()


def test_disk_full_mid_sequence_then_resume_writes_only_the_rest(tmp_path, plate, steps,
                                                                 monkeypatch):  # fmt: skip
    real = exr_layers.write_frame
    written = []

    def flaky(path, frame, compression="zip"):
        if "1004" in str(path):
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(path.name)
        return real(path, frame, compression)

    monkeypatch.setattr(exr_layers, "write_frame", flaky)
    the_job = job(tmp_path, plate, [LAYERS])
    with pytest.raises(ProcessingError):
        run_job(the_job, Progress())
    before = set(written)
    assert "shot.1004.exr" not in before and not list((tmp_path / "out/comp").glob(".*partial*"))
    monkeypatch.setattr(exr_layers, "write_frame", real)
    written.clear()
    result = run_job(the_job, Progress(), resume=True)
    assert len(list((tmp_path / "out/comp").glob("shot.*.exr"))) == 5
    assert f"{len(before)} kept from an earlier run" in result.outputs[0]


def test_cancel_leaves_no_partial_files(tmp_path, plate, steps):
    progress = Progress()

    def abort_after_first(fraction, message):
        if "frame 1/" in message:
            progress.abort()

    progress = Progress(abort_after_first)
    with pytest.raises(Cancelled):
        run_job(job(tmp_path, plate, [LAYERS]), progress)
    assert not list((tmp_path / "out").rglob(".*.partial*"))


def test_dpx_log_encoding(tmp_path, plate):
    import OpenImageIO as oiio

    entry = {"format": "dpx", "path": "dpx/p.####.dpx", "encoding": "log"}
    run_job(job(tmp_path, plate, [entry], steps=(), objects=[]), Progress())
    buf = oiio.ImageBuf(str(tmp_path / "out/dpx/p.0001.dpx"))
    assert buf.spec().get_string_attribute("dpx:Transfer") == "Printing density"
    assert buf.spec().get_int_attribute("oiio:BitsPerSample") == 10
    from ultimate_roto.core.media import colour

    lin = np.array([[[0.0, 1.0, 0.18]]], np.float32)
    code = colour.convert(lin, "Linear", "Cineon") * 1023
    assert np.allclose(code[0, 0, :2], [95, 685], atol=0.6)  # black 95, white 685


def test_shape_scripts_and_flame(tmp_path, plate, steps):
    exports = [{"format": "nuke", "path": "nuke/roto.nk", "start_frame": 1001},
               {"format": "ae", "path": "ae/roto.jsx"},
               {"format": "fusion", "path": "fusion/roto.setting"},
               {"format": "flame", "path": "flame/import_roto.py"}]  # fmt: skip
    lines = []
    run_job(job(tmp_path, plate, exports, steps=("t_seg",)), Progress(), log=lines.append)
    out = tmp_path / "out"
    nk = (out / "nuke/roto.nk").read_text()
    assert "Roto {" in nk and "name Roto_my_car" in nk and "first_frame 1001" in nk
    assert (out / "nuke/roto.py").is_file()
    data = after_effects.read_jsx(out / "ae/roto.jsx")
    assert [o["name"] for o in data["objects"]] == ["hero", "my_car", "ghost"]
    assert data["objects"][2]["shapes"] == []  # empty masks: valid file, no shapes
    assert any("'ghost' has an empty mask on every frame" in line for line in lines)
    tools = fusion.read_setting(out / "fusion/roto.setting")
    assert any(k.startswith("hero") for k in tools)
    assert len(list((out / "flame/hero").glob("hero.*.exr"))) == 5
    hook = (out / "flame/import_roto.py").read_text()
    assert "hero.[0001-0005].exr" in hook and "import_clip" in hook


def test_preset_entry_in_a_job(tmp_path, plate, steps):
    result = run_job(job(tmp_path, plate, [{"preset": "PNG mattes", "folder": "d"}],
                         frame_range=[1, 2]), Progress())  # fmt: skip
    assert len(result.outputs) == 1
    assert len(list((tmp_path / "out/d/mattes/hero").glob("*.png"))) == 2
    with pytest.raises(InputError, match="needs the 'segment' step"):
        run_job(job(tmp_path, plate, [{"preset": "PNG mattes"}], steps=()), Progress())


def _read_knobs(nk: str) -> dict[str, str]:
    block = nk[nk.index("Read {") : nk.index("}", nk.index("Read {"))]
    return dict(line.strip().split(" ", 1) for line in block.splitlines()[1:] if line.strip())


def test_nuke_read_of_a_movie_plate_starts_at_the_exported_numbering(tmp_path, steps):
    """Nuke numbers a movie's frames from 1; the Read puts frame 0 of ours where it belongs."""
    import cv2

    movie = tmp_path / "plate.mp4"
    out = cv2.VideoWriter(str(movie), cv2.VideoWriter_fourcc(*"mp4v"), 24, (W, H))
    for n in range(8):
        out.write(np.full((H, W, 3), 30 * n, np.uint8))
    out.release()
    exports = [{"format": "nuke", "path": "a.nk", "start_frame": 1001},
               {"format": "nuke", "path": "b.nk"},
               {"format": "nuke", "path": "c.nk", "plate": "/plates/p.mov"}]  # fmt: skip
    run_job(job(tmp_path, movie, exports, steps=("t_seg",), frame_range=[1, 4]), Progress())
    a = _read_knobs((tmp_path / "out/a.nk").read_text())
    # frames 1-4 are numbered 1001-1004, so the movie's first frame (our 0) sits at 1000
    assert (a["first"], a["last"], a["origlast"]) == ("1", "8", "8")
    assert (a["frame_mode"], a["frame"]) == ('"start at"', "1000")
    b = _read_knobs((tmp_path / "out/b.nk").read_text())
    assert (b["frame_mode"], b["frame"], b["last"]) == ('"start at"', "0", "8")
    c = _read_knobs((tmp_path / "out/c.nk").read_text())  # another movie: the exported frames
    assert (c["frame"], c["last"]) == ("1", "4")
