"""A plate convert through the GUI's Export job: EXR frames equal what the session shows; a
cancel mid-way keeps the frames already written and a resumed run adds only the rest."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from ultimate_roto.app.array_reader import ArrayReader
from ultimate_roto.app.qt_export import ExportRequest
from ultimate_roto.core.exporters.spec import ExportSpec
from ultimate_roto.core.media import colour

W, H, FRAMES = 48, 32, 6


def frame(n: int) -> np.ndarray:
    rng = np.random.default_rng(n)
    return rng.random((H, W, 3), dtype=np.float32)


@pytest.fixture
def win(qtbot, main_window):
    main_window.set_reader(ArrayReader([frame(n) for n in range(FRAMES)], name="noise"))
    qtbot.waitUntil(lambda: main_window.viewport.frame is not None, timeout=3000)
    return main_window


def read_exr(path) -> np.ndarray:
    from ultimate_roto.core.media.sequence import read_image

    return np.asarray(read_image(str(path)), np.float32)[..., :3]


def finished(qtbot, job, timeout: int = 15000) -> tuple[str, str]:
    with qtbot.waitSignal(job.finished, timeout=timeout) as done:
        pass
    return tuple(done.args)


def plate_request(folder, first: int, resume: bool = False) -> ExportRequest:
    entry = {"format": "exr", "what": "plate", "path": "plate.####.exr"}
    return ExportRequest((entry,), str(folder), (first, first + 2), resume, label="plate")


def test_plate_convert_writes_what_the_session_reads_and_resumes(qtbot, win, tmp_path):
    first = win.session.info.first_frame
    out = tmp_path / "out"
    session_read = win.session.read_now
    release = threading.Event()

    def held(n: int) -> np.ndarray:  # the second and third frames wait for the test
        if n > first and not release.wait(10):
            raise OSError("test gate never opened")
        return session_read(n)

    win.session.read_now = held  # what the export's reader calls
    job = win.export(plate_request(out, first))
    assert job is not None, win.statusBar().currentMessage()
    qtbot.waitUntil(lambda: len(list(out.glob("plate.*.exr"))) == 1, timeout=10000)
    assert job.running and job.cancellable
    win.log_panel.cancel_button(job.job_id).click()
    release.set()
    state, message = finished(qtbot, job)
    assert state == "cancelled", message
    kept = sorted(out.glob("plate.*.exr"))
    assert 1 <= len(kept) < 3
    stamps = {p.name: p.stat().st_mtime_ns for p in kept}
    win.session.read_now = session_read
    again = win.export(plate_request(out, first, resume=True))
    state, message = finished(qtbot, again)
    assert state == "done", message
    assert f"kept {len(kept)}" in message and f"wrote {3 - len(kept)}" in message
    written = sorted(out.glob("plate.*.exr"))
    assert len(written) == 3
    assert {p.name: p.stat().st_mtime_ns for p in written if p.name in stamps} == stamps
    # the EXR holds the session's frames in the export's colour space (scene-linear for EXR)
    src = colour.resolve("auto", win.session.info)
    entry = plate_request(out, first).entries[0]
    dst = ExportSpec.from_dict(entry).output_colorspace(src)
    for k, path in enumerate(written):
        shown = session_read(first + k)
        got, want = read_exr(path), colour.convert(shown, src, dst)
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, atol=2e-3)  # half-float EXR
        np.testing.assert_array_equal(shown, frame(first + k))  # the export left them alone
