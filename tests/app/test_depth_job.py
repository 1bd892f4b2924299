"""Roto > Compute depth end to end: a tiny random Depth Anything checkpoint, one undo step, the
viewport's depth overlay following frames / undo / the Inspector checkbox, cancel and no weights."""

from __future__ import annotations

import numpy as np
import pytest

from ultimate_roto.app.array_reader import ArrayReader
from ultimate_roto.app.display_cpu import normalise_depth
from ultimate_roto.app.qt_window_depth import NO_DEPTH

W, H, FRAMES = 80, 48, 8


def write_tiny_depth_model(root) -> None:
    """A random Depth Anything V2 with a tiny backbone, saved as the small model's folder."""
    import torch
    from transformers import DepthAnythingConfig, DepthAnythingForDepthEstimation

    backbone = dict(model_type="dinov2", hidden_size=32, num_hidden_layers=4, num_attention_heads=2,
                    intermediate_size=64, patch_size=14, image_size=70, out_indices=[1, 2, 3, 4],
                    reshape_hidden_states=False)  # fmt: skip
    cfg = DepthAnythingConfig(backbone_config=backbone, reassemble_hidden_size=32,
                              neck_hidden_sizes=[16, 32, 64, 64], fusion_hidden_size=16,
                              head_hidden_size=8)  # fmt: skip
    torch.manual_seed(0)
    DepthAnythingForDepthEstimation(cfg).save_pretrained(root / "depth-anything-v2-small")


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    write_tiny_depth_model(root)
    return root


def textured(n: int) -> np.ndarray:
    """A vertical ramp with a bright square moving right: depth differs between frames."""
    rng = np.random.default_rng(n)
    img = np.repeat(np.linspace(0.1, 0.8, H, dtype=np.float32)[:, None, None], W, 1)
    img = np.repeat(img, 3, 2) + 0.05 * rng.random((H, W, 3), dtype=np.float32)
    img[10:30, 5 + 6 * n : 25 + 6 * n] = (0.95, 0.6, 0.2)
    return np.clip(img, 0.0, 1.0)


@pytest.fixture
def win(qtbot, main_window, monkeypatch, tmp_path):
    """The main window on a textured 8-frame shot, in/out 2-4, at frame 3; no HF cache."""
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hf-cache"))
    main_window.set_reader(ArrayReader([textured(n) for n in range(FRAMES)], name="ramp"))
    qtbot.waitUntil(lambda: main_window.viewport.frame is not None, timeout=3000)
    main_window.timeline.set_in_out(2, 4)
    main_window.go_to(3)
    return main_window


def run_depth(qtbot, win):
    """Roto > Compute depth from its menu action; returns (state, message) once it ended."""
    action = win.registry.action("jobs.depth")
    assert action.text() == "Compute depth (in/out range)"
    assert action.shortcut().toString() == "Ctrl+D"
    with qtbot.waitSignal(win.jobs.job_added, timeout=2000) as added:
        action.trigger()
    job = added.args[0]
    with qtbot.waitSignal(job.finished, timeout=60000) as done:
        pass
    return job, done.args


def export_depth_and_check(qtbot, win, layer, folder) -> None:
    """File > Export's job with the depth AOV writes the document's depth into the EXR."""
    import OpenEXR

    from ultimate_roto.app.qt_export import ExportRequest

    win.layers.add_object("Thing")  # a multi-layer export names its objects' layers
    entry = {"format": "exr", "what": "layers", "path": "c.####.exr", "aovs": ["rgba", "depth"]}
    job = win.export(ExportRequest((entry,), str(folder / "out"), (2, 4), label="depth"))
    assert job is not None, win.statusBar().currentMessage()
    with qtbot.waitSignal(job.finished, timeout=20000) as done:
        pass
    assert done.args[0] == "done", done.args
    with OpenEXR.File(str(folder / "out" / "c.0003.exr"), separate_channels=True) as exr:
        np.testing.assert_array_equal(exr.channels()["depth.Z"].pixels, layer.get(3))


def test_compute_depth_is_one_undo_step_that_feeds_the_overlay(qtbot, win, tiny_models, tmp_path):
    from ultimate_roto.core.engines import models

    models.set_models_dir(tiny_models)  # the conftest puts the default back afterwards
    doc, stack = win.project.doc, win.project.stack
    win.inspector.depth.setChecked(True)
    assert win.statusBar().currentMessage() == NO_DEPTH and win.viewport.depth is None
    index = stack.index
    job, (state, message) = run_depth(qtbot, win)
    assert state == "done", message
    assert "depth of frames 2-4 with depth.depth_anything_v2" in message
    assert win.log_panel.job_state(0) == "done"
    assert stack.index == index + 1 and stack.undo_text == "Compute depth (frames 2-4)"
    layer = doc.depth
    assert layer.frames == [2, 3, 4] and layer.engine == "depth.depth_anything_v2"
    assert layer.shape == (H, W) and layer.range[0] < layer.range[1]
    assert win.registry.action("edit.undo").text() == "Undo Compute depth (frames 2-4)"

    shown3 = win.viewport.depth  # the finished job refreshed the overlay of frame 3
    assert shown3 is not None and win.viewport.settings.depth_visible
    np.testing.assert_allclose(shown3, layer.get(3), atol=1e-6)  # one per-shot scale
    win.registry.action("timeline.step_forward").trigger()  # scrub to frame 4
    assert win.current_frame == 4
    np.testing.assert_allclose(win.viewport.depth, layer.get(4), atol=1e-6)
    assert np.abs(win.viewport.depth - shown3).max() > 1e-3  # another frame, another map
    win.go_to(5)  # outside the computed range: no overlay
    assert win.viewport.depth is None
    win.go_to(3)

    win.registry.action("edit.undo").trigger()
    assert doc.depth is None and win.viewport.depth is None and stack.index == index
    win.registry.action("edit.redo").trigger()
    assert doc.depth is layer and win.viewport.depth is not None
    win.inspector.depth.setChecked(False)
    assert not win.viewport.settings.depth_visible and win.viewport.depth is None

    export_depth_and_check(qtbot, win, layer, tmp_path)
    win.clear_depth()  # Roto > Clear depth, undoable too
    assert doc.depth is None and stack.undo_text == "Clear depth"
    stack.undo()
    assert doc.depth is layer


def test_a_cancelled_depth_job_changes_nothing(qtbot, win, tiny_models):
    from ultimate_roto.core.engines import models

    models.set_models_dir(tiny_models)
    index = win.project.stack.index
    job = win.compute_depth()
    win.log_panel.cancel_button(job.job_id).click()  # the Jobs panel's Cancel
    with qtbot.waitSignal(job.finished, timeout=60000) as done:
        pass
    assert done.args[0] == "cancelled"
    assert win.project.doc.depth is None and win.project.stack.index == index


def test_without_weights_the_job_fails_saying_how_to_install_them(qtbot, win):
    doc, stack = win.project.doc, win.project.stack
    index, revision = stack.index, doc.revision
    job, (state, message) = run_depth(qtbot, win)
    assert state == "failed"
    assert "python main.py models pull depth-anything-v2-small" in message
    assert "Roto > Compute depth" in message  # the hint: pull, then run it again
    assert "models pull depth-anything-v2-small" in win.statusBar().currentMessage()
    assert win.log_panel.job_state(0) == "failed"
    assert doc.depth is None and stack.index == index and doc.revision == revision
    win.inspector.depth.setChecked(True)
    assert win.statusBar().currentMessage() == NO_DEPTH


def test_the_overlay_keeps_the_per_shot_scale_of_a_normalised_map(win):
    ramp = np.linspace(0.2, 0.6, H * W, dtype=np.float32).reshape(H, W)  # a mid-distance frame
    win.viewport.set_depth(ramp, normalised=True)
    np.testing.assert_allclose(win.viewport.depth, ramp)  # not stretched to 0..1
    win.viewport.set_depth(ramp)  # raw units: stretched to this frame's min..max
    np.testing.assert_allclose(win.viewport.depth, normalise_depth(ramp), atol=1e-6)
    assert win.viewport.depth.min() == 0.0 and win.viewport.depth.max() == 1.0
    win.viewport.set_depth(None)
