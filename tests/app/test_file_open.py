"""File > Open: the dialog's filter, one frame opens its sequence, sequence folders, and
drag-and-drop of media, folders and projects onto the window."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog, QMessageBox

from ultimate_roto.app.qt_window_file import media_filter
from ultimate_roto.core.media import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS


def png_sequence(folder: Path, count: int = 3, stem: str = "plate") -> list[Path]:
    """``folder/plate.1001.png`` … : 32×16 frames whose grey level is 40 × (index + 1)."""
    folder.mkdir(parents=True, exist_ok=True)
    frames = []
    for i in range(count):
        path = folder / f"{stem}.{1001 + i:04d}.png"
        cv2.imwrite(str(path), np.full((16, 32, 3), 40 * (i + 1), np.uint8))
        frames.append(path)
    return frames


@pytest.fixture
def errors(monkeypatch):
    seen: list[str] = []
    monkeypatch.setattr(
        QMessageBox, "critical", lambda _parent, _title, text, *a: seen.append(text)
    )
    return seen


def test_the_open_filter_lists_every_extension_core_media_reads():
    text = media_filter()
    first = text.split(";;")[0]
    for ext in (*VIDEO_EXTENSIONS, *IMAGE_EXTENSIONS, ".roto"):
        assert f"*{ext} " in first + " " or f"*{ext})" in first, ext
    assert "*.m4v" in first and "*.jpeg" in first


def test_open_dialog_with_one_frame_opens_the_whole_sequence(
    main_window, monkeypatch, tmp_path, errors
):
    frames = png_sequence(tmp_path / "seq", 4)
    asked = []

    def pick(_parent, _title, _start, filter_text):
        asked.append(filter_text)
        return str(frames[2]), ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", pick)
    main_window.registry.action("file.open").trigger()
    assert not errors and asked == [media_filter()]
    info = main_window.session.info
    assert (info.first_frame, info.last_frame, info.frame_count) == (1001, 1004, 4)
    assert main_window.recent_files()[0] == str(frames[2])


def test_open_sequence_folder(main_window, monkeypatch, tmp_path, errors):
    png_sequence(tmp_path / "shot_a", 3)
    monkeypatch.setattr(
        QFileDialog, "getExistingDirectory", lambda *_a, **_k: str(tmp_path / "shot_a")
    )
    main_window.registry.action("file.open_folder").trigger()
    assert not errors
    assert main_window.session.info.frame_count == 3


def _mime(*urls: QUrl) -> QMimeData:
    mime = QMimeData()
    mime.setUrls(list(urls))
    return mime


def _drag_enter(win, mime: QMimeData) -> bool:
    event = QDragEnterEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    event.setAccepted(False)
    win.dragEnterEvent(event)
    return event.isAccepted()


def _drop(win, path: Path) -> None:
    mime = _mime(QUrl.fromLocalFile(str(path)))  # the event does not own it: keep it alive
    event = QDropEvent(
        QPointF(20, 20),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    win.dropEvent(event)


def test_drag_enter_accepts_local_files_and_refuses_the_rest(main_window, tmp_path):
    clip = tmp_path / "clip.mov"
    clip.write_bytes(b"x")
    assert _drag_enter(main_window, _mime(QUrl.fromLocalFile(str(clip))))
    assert _drag_enter(main_window, _mime(QUrl.fromLocalFile(str(tmp_path))))  # a folder
    assert not _drag_enter(main_window, _mime(QUrl("https://example.com/clip.mov")))
    text = QMimeData()
    text.setText("just words")
    assert not _drag_enter(main_window, text)


def test_dropping_a_folder_opens_its_sequence(main_window, tmp_path, errors):
    png_sequence(tmp_path / "plates", 5)
    _drop(main_window, tmp_path / "plates")
    assert not errors
    assert main_window.session.info.frame_count == 5


def test_dropping_a_project_opens_it_with_its_objects(main_window, tmp_path, errors):
    frames = png_sequence(tmp_path / "seq", 3)
    assert main_window.open_path(frames[0])
    main_window.layers.add_object("Hero")
    main_window.layers.add_object("Car")
    project = tmp_path / "job.roto"
    assert main_window._save_to(str(project))
    main_window.open_path(frames[1])  # something else first
    assert not main_window.project.doc.objects
    _drop(main_window, project)
    assert not errors
    assert [o.name for o in main_window.project.doc.objects] == ["Hero", "Car"]
    assert main_window.project.path == str(project)
    assert not main_window.isWindowModified()


def test_drop_of_a_missing_file_reports_it_and_keeps_the_session(main_window, errors, tmp_path):
    _drop(main_window, tmp_path / "missing.mov")
    assert errors and "missing.mov" in errors[0]
    assert main_window.session.info.path == "small shot"
