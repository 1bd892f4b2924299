"""The Inspector's object section: every widget writes one field through one readable undo
step, undo/redo move the widgets back (without pushing anything), engine combos show unknown
ids as such and follow the registry."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor


@pytest.fixture
def disc(main_window):
    obj = main_window.layers.add_object("Disc")
    return main_window, obj


def test_engine_choice_is_one_step_the_jobs_use_and_undo_moves_the_combo(disc):
    win, obj = disc
    doc, stack = win.project.doc, win.project.stack
    panel = win.inspector.object_panel
    combo = panel.engines["propagate"]
    assert combo.currentData() == "auto" and combo.currentText() == "Auto (best available)"
    index = stack.index
    combo.setCurrentIndex(combo.findData("propagate.flow"))
    assert doc.object(obj).engines == {"propagate": "propagate.flow"}
    assert stack.index == index + 1 and stack.undo_text == "Set Disc Propagate Engine"
    assert win._job_input("propagate").engine == "propagate.flow"
    stack.undo()
    assert combo.currentData() == "auto" and doc.object(obj).engines == {}
    assert win._job_input("propagate").engine == "auto"
    stack.redo()
    assert combo.currentData() == "propagate.flow" and stack.index == index + 1


def test_an_unknown_engine_id_is_shown_as_not_available_and_auto_stays_choosable(disc):
    win, obj = disc
    doc, stack = win.project.doc, win.project.stack
    panel = win.inspector.object_panel
    combo = panel.engines["segment"]
    win.project.set_property(obj, "engines", {"segment": "segment.elsewhere"})  # an old project
    assert combo.currentText() == "segment.elsewhere (not available)"
    assert combo.currentData() == "segment.elsewhere"  # not passed off as Auto
    assert win._job_input("segment").engine == "segment.elsewhere"
    index = stack.index
    combo.setCurrentIndex(combo.findData("auto"))  # the user can choose Auto
    assert doc.object(obj).engines == {} and stack.index == index + 1
    assert stack.undo_text == "Set Disc Segment Engine"
    stack.undo()
    assert combo.currentText() == "segment.elsewhere (not available)"
    other = win.layers.add_object("Other")  # another object: the stale item goes
    assert win.layers.current_id() == other
    assert combo.findText("segment.elsewhere (not available)") < 0
    assert combo.currentData() == "auto"


def test_engine_combos_follow_the_registry_when_the_models_panel_refreshes(disc):
    from ultimate_roto.core.engines import registry
    from ultimate_roto.core.engines.registry import EngineSpec

    win, _obj = disc
    combo = win.inspector.object_panel.engines["segment"]
    assert combo.findData("segment.faketest") < 0
    registry.register(EngineSpec("segment.faketest", "segment", "Fake segmenter", "", object))
    try:
        win.models_panel.refresh()  # after a Pull or a models folder change
        assert combo.findData("segment.faketest") >= 0
        assert combo.currentData() == "auto"  # the object's choice is kept
    finally:
        registry.unregister("segment.faketest")
        win.models_panel.refresh()
    assert combo.findData("segment.faketest") < 0


def _colour(panel):
    return panel.colour.text()


CASES = [
    # (widget setter, document value, expected value, undo label, widget reading)
    (
        lambda p: p.set_colour(QColor(10, 20, 30)),
        lambda o: tuple(o.color),
        (10, 20, 30),
        "Set Disc Colour",
        _colour,
    ),
    (
        lambda p: p.dilate.setValue(4),
        lambda o: (o.mask_ops.dilate_px, o.mask_ops.refine),
        (4, {}),
        "Set Disc Dilate",
        lambda p: p.dilate.value(),
    ),
    (
        lambda p: p.erode.setValue(3),
        lambda o: (o.mask_ops.erode_px, o.mask_ops.refine),
        (3, {}),
        "Set Disc Erode",
        lambda p: p.erode.value(),
    ),
    (
        lambda p: p.feather.setValue(2.5),
        lambda o: (o.mask_ops.feather_px, o.mask_ops.refine),
        (2.5, {}),
        "Set Disc Feather",
        lambda p: p.feather.value(),
    ),
    (
        lambda p: p.refine_band.setValue(12.0),
        lambda o: (o.mask_ops.dilate_px, o.mask_ops.refine),
        (0, {"band": 12.0}),
        "Set Disc Refine Band",
        lambda p: (p.refine_band.value(), p.refine_band.text()),
    ),
    (
        lambda p: p.refine_method.setCurrentText("guided"),
        lambda o: o.mask_ops.refine,
        {"method": "guided"},
        "Set Disc Refine Method",
        lambda p: p.refine_method.currentText(),
    ),
]


@pytest.mark.parametrize(
    "set_widget, value, expected, label, reading",
    CASES,
    ids=["colour", "dilate", "erode", "feather", "refine band", "refine method"],
)
def test_each_widget_writes_its_field_in_one_step_and_follows_undo(
    disc, set_widget, value, expected, label, reading
):
    win, obj = disc
    doc, stack = win.project.doc, win.project.stack
    panel = win.inspector.object_panel
    shown, before = reading(panel), value(doc.object(obj))
    index = stack.index
    set_widget(panel)
    assert value(doc.object(obj)) == expected  # only that field changed
    assert stack.index == index + 1 and stack.undo_text == label
    assert win.history.labels()[-1].startswith(label)
    changed = reading(panel)
    stack.undo()
    assert value(doc.object(obj)) == before
    assert reading(panel) == shown  # the widget follows the document …
    assert stack.index == index and stack.redo_text == label  # … without pushing anything
    stack.redo()
    assert reading(panel) == changed and stack.index == index + 1
