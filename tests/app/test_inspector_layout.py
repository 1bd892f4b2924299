"""The Inspector fits its dock: long combo entries (an engine's "unavailable: why", OCIO view
names) and long file names never make it wider than the default dock."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox

from ultimate_roto.core.engines import registry
from ultimate_roto.core.engines.registry import EngineSpec

DOCK_WIDTH = 330  # the Inspector dock's default width (qt_window_menus.DOCK_SIZES)


def test_the_inspector_fits_the_default_dock_whatever_its_texts(main_window):
    reason = "needs weights: put the files of a very long model name " * 4
    spec = EngineSpec(
        "segment.long_unavailable", "segment", "An engine with a long name", "",
        lambda **_: None, check=lambda: (False, reason), priority=-100,
    )
    registry.register(spec)
    try:
        ins = main_window.inspector
        ins.object_panel.refresh_engines()
        info = main_window.session.info
        ins.show_media(info)
        ins.facts["File"].setText("a_" + "very_long_plate_name_" * 8 + ".1001.exr")
        assert ins.minimumSizeHint().width() <= DOCK_WIDTH
        combo = ins.object_panel.engines["segment"]
        labels = [combo.itemText(i) for i in range(combo.count())]
        assert any(reason.strip() in label for label in labels)  # the why is still there
        for box in ins.findChildren(QComboBox):
            assert box.minimumSizeHint().width() < DOCK_WIDTH
        bar = main_window.inspector_scroll.horizontalScrollBar()
        assert not bar.isVisible()
    finally:
        registry.unregister(spec.id)
        main_window.inspector.object_panel.refresh_engines()


def test_thumbnails_show_their_frame_numbers_whole(main_window, qtbot):
    strip = main_window.thumbnails
    main_window.docks["thumbnails"].raise_()
    strip.set_frames(list(range(1001, 1061)))  # full-size placeholders and a scroll bar
    strip.setFixedHeight(strip.minimumHeight())  # the smallest the dock lets it be
    qtbot.wait(50)
    assert strip.horizontalScrollBar().isVisible()
    rect = strip.visualItemRect(strip.item(0))
    bottom = strip.viewport().height()
    assert rect.height() >= strip.iconSize().height() + strip.fontMetrics().height()
    assert rect.bottom() + strip.spacing() < bottom, (rect, bottom)  # with its margin
