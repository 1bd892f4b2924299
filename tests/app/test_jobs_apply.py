"""Applying mask-job results (Qt-free part): compressed payloads from the worker are stored as
they are (pixels as SetMaskCommand's), and only frames unchanged since the job started apply."""

from __future__ import annotations

import numpy as np
import pytest

from tests.shapes import soft_disc
from ultimate_roto.app import job_work
from ultimate_roto.app.job_apply import (
    MaskJobStart,
    apply_mask_results,
    frame_list,
    set_mask_command,
)
from ultimate_roto.core.commands import (
    CommandStack,
    SetEncodedMaskCommand,
    SetKeyframeCommand,
    SetMaskCommand,
)
from ultimate_roto.core.progress import Progress
from ultimate_roto.core.project import Document, Shot, load_project, masks, save_project
from ultimate_roto.core.project.masks import EncodedMask, decode_mask, encode_mask

W, H = 96, 64


def disc(cx: int, cy: int = 32, r: int = 14) -> np.ndarray:
    return soft_disc(W, H, cx, cy, r)


@pytest.fixture
def doc_stack():
    doc = Document(Shot(width=W, height=H, in_frame=0, out_frame=20))
    obj = doc.add_object(name="hero").id
    return doc, CommandStack(document=doc), obj


@pytest.mark.parametrize(
    "old, new",
    [
        (None, disc(30)),
        (disc(30), disc(36)),
        (disc(30), disc(30, r=8)),
        (disc(30), None),
        (disc(30), disc(70, cy=10)),  # disjoint bboxes
    ],
)
def test_a_command_from_the_encoded_mask_swaps_entries_and_says_where(doc_stack, old, new):
    doc, stack, obj = doc_stack
    if old is not None:
        doc.set_mask(obj, 3, old)
    before, before_enc = doc.mask(obj, 3), doc.masks.encoded(obj, 3)
    enc = None if new is None else encode_mask(new)
    cmd = set_mask_command(doc, obj, 3, enc)
    assert isinstance(cmd, SetEncodedMaskCommand) and cmd.text == "Set Mask"
    assert cmd.nbytes == sum(e.nbytes for e in (before_enc, enc) if e is not None)
    events = []
    doc.events.mask_changed.connect(lambda *a: events.append(a))
    stack.push(cmd)
    target = new if new is not None else np.zeros((H, W), np.uint8)
    assert np.array_equal(doc.mask(obj, 3), target) and doc.masks.encoded(obj, 3) is enc
    ((_o, _f, (x0, y0, x1, y1)),) = events  # covers every pixel that changed
    ys, xs = np.nonzero(before != target)
    assert x0 <= xs.min() and y0 <= ys.min() and x1 > xs.max() and y1 > ys.max()
    stack.undo()
    assert np.array_equal(doc.mask(obj, 3), before) and doc.masks.encoded(obj, 3) is before_enc


def test_applying_neither_decodes_nor_compresses(doc_stack, monkeypatch):
    """The worker's entries are stored as they are (was: decode, then the store compressed
    every frame again on the GUI thread), and the undo step holds them, not raw crops."""
    doc, stack, obj = doc_stack
    for f in (1, 2):
        doc.set_mask(obj, f, disc(20 + f))
    start = MaskJobStart.capture(doc, obj)
    results = {f: (encode_mask(disc(60, r=10 + f)), None) for f in (1, 2, 3)}
    results[4] = (None, None)

    def refuse(*_a, **_k):
        raise AssertionError("mask data decoded or compressed on the GUI thread")

    monkeypatch.setattr(masks.zlib, "compress", refuse)
    monkeypatch.setattr(masks.zlib, "decompress", refuse)
    report = apply_mask_results(doc, stack, start, results, "Propagate hero")
    monkeypatch.undo()
    assert report.applied == 3
    for f in (1, 2, 3):
        assert doc.masks.encoded(obj, f) is results[f][0]
    olds = [e for f, e in start.entries.items() if f in (1, 2)]
    assert stack.command(stack.index - 1).nbytes == sum(
        e.nbytes for e in [*olds, *(results[f][0] for f in (1, 2, 3))]
    )


def test_a_project_saved_after_an_apply_loads_the_same_masks(doc_stack, tmp_path):
    doc, stack, obj = doc_stack
    doc.set_mask(obj, 1, disc(20))
    start = MaskJobStart.capture(doc, obj)
    results = {f: (encode_mask(disc(20 + 3 * f)), None) for f in range(2, 12)}
    apply_mask_results(doc, stack, start, results, "Propagate hero")
    path = tmp_path / "shot.roto"
    save_project(doc, path)
    loaded = load_project(path)
    assert loaded.masks.snapshot() == doc.masks.snapshot()
    for f in range(1, 12):
        assert np.array_equal(loaded.mask(obj, f), disc(20 + 3 * f if f > 1 else 20))
    stack.undo()  # and the undone state saves and loads too
    save_project(doc, path)
    assert load_project(path).masks.frames(obj) == [1]


def test_no_command_when_the_mask_is_already_there(doc_stack):
    doc, _stack, obj = doc_stack
    assert set_mask_command(doc, obj, 4, None) is None
    doc.set_mask(obj, 4, disc(40))
    assert set_mask_command(doc, obj, 4, encode_mask(disc(40))) is None


def test_only_frames_unchanged_since_the_start_are_applied(doc_stack):
    doc, stack, obj = doc_stack
    for f in (1, 2, 3, 4, 5):
        doc.set_mask(obj, f, disc(20 + f))
    doc.set_keyframe(obj, 1)
    start = MaskJobStart.capture(doc, obj, inputs=(1,))
    stack.push(SetMaskCommand(doc, obj, 2, disc(60)))  # painted during the job
    stack.push(SetKeyframeCommand(doc, obj, 3))  # made a keyframe during the job
    stack.push(SetMaskCommand(doc, obj, 4, disc(50)))  # changed, then undone: same again
    stack.undo()
    index = stack.index
    results = {f: (encode_mask(disc(80, r=10)), f == 5) for f in (2, 3, 4, 5, 6)}
    report = apply_mask_results(doc, stack, start, results, "Propagate hero")
    assert report.kept == [2, 3] and report.applied == 3 and not report.dropped
    assert "2 frame(s) changed during the job were kept" in report.summary()
    assert np.array_equal(doc.mask(obj, 2), disc(60))
    assert np.array_equal(doc.mask(obj, 3), disc(23))
    for f in (4, 5, 6):
        assert np.array_equal(doc.mask(obj, f), disc(80, r=10))
    assert "occluded" in doc.frame_flags(obj, 5) and not doc.frame_flags(obj, 6)
    assert stack.index == index + 1 and stack.undo_text == "Propagate hero"
    stack.undo()
    assert np.array_equal(doc.mask(obj, 4), disc(24)) and not doc.masks.has(obj, 6)
    assert not doc.frame_flags(obj, 5)


@pytest.mark.parametrize("change", ["undo keyframe", "repaint keyframe", "delete", "reopen"])
def test_stale_results_are_dropped_whole(doc_stack, change):
    doc, stack, obj = doc_stack
    doc.set_mask(obj, 1, disc(30))
    doc.set_keyframe(obj, 1)
    start = MaskJobStart.capture(doc, obj, inputs=(1,))
    now = doc
    if change == "undo keyframe":
        doc.set_keyframe(obj, 1, False)
    elif change == "repaint keyframe":
        doc.set_mask(obj, 1, disc(33))
    elif change == "delete":
        doc.remove_object(obj)
    else:
        now = Document(Shot(width=W, height=H))
    report = apply_mask_results(now, stack, start, {2: (encode_mask(disc(31)), None)}, "P")
    assert report.dropped and report.applied == 0 and len(stack) == 0
    assert report.summary().startswith("results dropped: ")


def test_the_worker_emits_compressed_masks(monkeypatch):
    from ultimate_roto.core.engines import registry
    from ultimate_roto.core.engines.base import PropagationInfo
    from ultimate_roto.core.engines.registry import EngineSpec

    h, w = 540, 960

    class Move:
        def __init__(self, device="cpu", **_options):
            pass

        def propagate(self, get_frame, keyframes, frames, *, progress=None):
            key = keyframes[min(keyframes)]
            for n in frames:
                yield n, np.roll(key, 3 * n, axis=1), PropagationInfo(0.9, occluded=n == 4)

    registry.register(EngineSpec("propagate.movetest", "propagate", "move", "", Move))
    try:
        key = np.zeros((h, w), np.uint8)
        key[100:300, 200:400] = 255
        inp = job_work.MaskJobInput(
            obj_id="o", name="box", masks={0: encode_mask(key)}, keyframes=(0,), shape=(h, w),
            colorspace="sRGB", engine="propagate.movetest",
        )  # fmt: skip
        got = []
        job_work.propagate(
            inp,
            lambda n: np.zeros((h, w, 3), np.float32),
            (0, 5),
            "forward",
            Progress(),
            lambda f, payload: got.append((f, payload)),
        )
    finally:
        registry.unregister("propagate.movetest")
    assert [f for f, _p in got] == [1, 2, 3, 4, 5]
    for f, (enc, occluded) in got:
        assert isinstance(enc, EncodedMask) and occluded == (f == 4)
        assert enc.nbytes < h * w / 50  # kilobytes, not a full-frame array
        assert np.array_equal(decode_mask(enc, (h, w)), np.roll(key, 3 * f, axis=1))


def test_frame_list_names_runs():
    assert frame_list([1003, 1001, 1002, 1007, 1009, 1010]) == "1001-1003, 1007, 1009-1010"
