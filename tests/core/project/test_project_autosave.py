"""Autosave writes only when changed, recovery finds it, clean saves remove it."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
import pytest

from ultimate_roto.core.errors import RotoError
from ultimate_roto.core.project import (
    Autosaver,
    Document,
    Shot,
    autosave_path,
    find_recovery,
    load_project,
    save_project,
    sidecar_dir,
)


def _doc() -> Document:
    doc = Document(Shot(width=16, height=8, out_frame=9))
    oid = doc.add_object(name="hero").id
    doc.set_mask(oid, 3, np.full((8, 16), 200, np.uint8))
    return doc


def _age(path: Path, seconds: float) -> None:
    st = path.stat()
    os.utime(path, (st.st_atime - seconds, st.st_mtime - seconds))


def test_autosave_only_when_changed_and_recovery(tmp_path: Path) -> None:
    doc = _doc()
    project = tmp_path / "shot.roto"
    save_project(doc, project)
    _age(project, 10)
    saver = Autosaver(doc, project, interval_s=3600, directory=tmp_path / "auto")
    assert saver.save_now() is False  # clean document: nothing to protect
    oid = doc.objects[0].id
    doc.set_keyframe(oid, 5)
    assert saver.save_now() is True
    assert saver.path == tmp_path / "auto" / "shot.autosave.roto"
    mtime = saver.path.stat().st_mtime_ns
    assert saver.save_now() is False  # unchanged since the last autosave
    assert saver.path.stat().st_mtime_ns == mtime
    found = find_recovery(project, tmp_path / "auto")
    assert found is not None and found.path == saver.path and found.autosave_of == project
    recovered = load_project(found.path)
    assert recovered.object(oid).keyframes == {5}
    assert np.array_equal(recovered.mask(oid, 3), doc.mask(oid, 3))
    save_project(doc, project)  # clean save removes the autosave
    assert not saver.path.exists() and not sidecar_dir(saver.path).exists()
    assert find_recovery(project, tmp_path / "auto") is None
    saver.stop()


def test_autosave_older_than_project_is_not_offered(tmp_path: Path) -> None:
    doc = _doc()
    project = tmp_path / "shot.roto"
    saver = Autosaver(doc, project, interval_s=3600)
    assert saver.save_now()
    _age(saver.path, 60)
    save_project(Document(Shot(width=16, height=8)), project)  # another doc: autosave stays
    assert saver.path.exists()
    assert find_recovery(project) is None
    saver.stop()


def test_unsaved_session_recovery(tmp_path: Path) -> None:
    crashed = Document(Shot(width=8, height=8))
    crashed.add_object(name="lost")
    other = tmp_path / "untitled-99999.autosave.roto"
    save_project(crashed, other, mark_clean=False, autosave_of=None)
    found = find_recovery(None, tmp_path)
    assert found is not None and found.path == other and found.autosave_of is None
    (tmp_path / "untitled-12.autosave.roto").write_text("{broken")  # damaged: ignored
    assert find_recovery(None, tmp_path).path == other
    assert autosave_path(None, tmp_path).name == f"untitled-{os.getpid()}.autosave.roto"
    with pytest.raises(RotoError, match="autosave folder is needed"):
        Autosaver(crashed, None)


def test_a_live_sessions_autosave_is_neither_offered_nor_read(tmp_path: Path, monkeypatch):
    """Another running instance's untitled autosave (here: our parent process's pid, which
    started before the file was written) is skipped on the cheap owner check, before its
    JSON is parsed (a big project's would be read at every start for nothing)."""
    from ultimate_roto.core.project import autosave

    live = tmp_path / f"untitled-{os.getppid()}.autosave.roto"
    save_project(_doc(), live, mark_clean=False, autosave_of=None)
    read: list[Path] = []
    real = autosave.read_project_json
    monkeypatch.setattr(autosave, "read_project_json", lambda p: read.append(p) or real(p))
    assert find_recovery(None, tmp_path) is None
    assert read == []
    dead = tmp_path / "untitled-999999999.autosave.roto"  # no such pid: a crashed session
    save_project(_doc(), dead, mark_clean=False, autosave_of=None)
    assert find_recovery(None, tmp_path).path == dead and read == [dead]


def test_background_thread_saves_and_stop_joins(tmp_path: Path) -> None:
    doc = _doc()
    saver = Autosaver(doc, None, interval_s=0.01, directory=tmp_path)
    saved = threading.Event()
    real = saver.save_now

    def spy() -> bool:
        wrote = real()
        if wrote:
            saved.set()
        return wrote

    saver.save_now = spy  # type: ignore[method-assign]
    saver.start()
    assert saved.wait(5.0)
    saver.stop(discard=True)
    assert not any(t.name == "autosave" and t.is_alive() for t in threading.enumerate())
    assert not saver.path.exists()


def test_autosave_failure_is_kept_not_raised(tmp_path: Path) -> None:
    doc = _doc()
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    saver = Autosaver(doc, None, interval_s=3600, directory=blocker)
    assert saver.save_now() is False
    assert saver.last_error is not None
    saver.stop()
