"""Signal/observer helper and the document's event payloads."""

from __future__ import annotations

import gc

import numpy as np
import pytest

from ultimate_roto.core.events import Signal
from ultimate_roto.core.project import Document, MaskOps, Shot


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def slot(self, *args: object) -> None:
        self.calls.append(args)


def test_signal_connect_emit_disconnect() -> None:
    sig = Signal(str, int, name="changed")
    rec = Recorder()
    sig.connect(rec.slot)
    sig.connect(rec.slot)  # no double delivery
    sig.emit("a", 1)
    sig.disconnect(rec.slot)
    sig.emit("b", 2)
    assert rec.calls == [("a", 1)]


def test_signal_rejects_wrong_arity_and_non_callables() -> None:
    sig = Signal(str, name="named")
    with pytest.raises(TypeError, match="named.emit takes 1"):
        sig.emit("a", 2)
    with pytest.raises(TypeError):
        sig.connect("not callable")  # type: ignore[arg-type]


def test_bound_methods_are_weak_functions_strong() -> None:
    sig = Signal(int)
    rec = Recorder()
    seen = []
    sig.connect(rec.slot)
    sig.connect(lambda v: seen.append(v))
    del rec
    gc.collect()
    assert len(sig) == 1  # the dead view disconnected itself, the lambda stays
    sig.emit(3)
    assert seen == [3]


def test_blocked_suppresses_and_nests() -> None:
    sig = Signal(int)
    seen: list[int] = []
    sig.connect(seen.append)
    with sig.blocked():
        with sig.blocked():
            sig.emit(1)
        sig.emit(2)
    sig.emit(3)
    assert seen == [3]


def _doc() -> tuple[Document, str, dict[str, list]]:
    doc = Document(Shot(width=32, height=24, out_frame=9))
    obj = doc.add_object(name="hero")
    doc.mark_saved(doc.revision)
    log: dict[str, list] = {}
    for name, sig in doc.events.signals().items():
        sig.connect(lambda *a, _n=name: log.setdefault(_n, []).append(a))
    return doc, obj.id, log


def test_document_events_carry_the_right_payloads() -> None:
    doc, oid, log = _doc()
    doc.set_object_field(oid, "mask_ops", MaskOps(feather_px=2.5))
    doc.add_prompt(oid, 4, "point", (3, 4, 1))
    doc.set_keyframe(oid, 4)
    doc.set_frame_flag(oid, 5, "occluded")
    doc.set_mask_region(oid, 2, (1, 2, 5, 6), np.full((4, 4), 9, np.uint8))
    doc.set_frame_range(1, 8)
    doc.set_setting("segment", "segment.classic")
    removed = doc.remove_object(oid)
    assert log["object_changed"] == [(oid, "mask_ops")]
    assert log["prompts_changed"] == [(oid, 4)]
    assert log["keyframes_changed"] == [(oid,)]
    assert log["flags_changed"] == [(oid, 5)]
    assert log["mask_changed"] == [(oid, 2, (1, 2, 5, 6))]
    assert log["shot_changed"] == [()]
    assert log["settings_changed"] == [("segment",)]
    assert log["object_removed"] == [(oid,)]
    assert log["dirty_changed"] == [(True,)]  # only when the flag flips
    doc.restore_object(removed)
    assert log["object_added"] == [(oid,)]


def test_group_blocked_silences_every_signal_but_still_edits() -> None:
    doc, oid, log = _doc()
    with doc.events.blocked():
        doc.set_keyframe(oid, 1)
        doc.add_prompt(oid, 1, "box", (0, 0, 5, 5))
    assert log == {}
    assert doc.object(oid).keyframes == {1}
    doc.set_keyframe(oid, 2)
    assert log["keyframes_changed"] == [(oid,)]


def test_view_updating_itself_does_not_loop() -> None:
    """A view that writes back while handling an event blocks the signal: no recursion."""
    doc, oid, _log = _doc()
    calls = []

    def view(obj_id: str, field: str) -> None:
        calls.append(field)
        with doc.events.object_changed.blocked():
            doc.set_object_field(obj_id, "name", doc.object(obj_id).name.strip())

    doc.events.object_changed.connect(view)
    doc.set_object_field(oid, "name", " hero ")
    assert calls == ["name"]
    assert doc.object(oid).name == "hero"
