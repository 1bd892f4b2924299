"""Periodic autosave on a background thread, and finding an autosave to recover after a crash."""

from __future__ import annotations

import logging
import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

from ultimate_roto.core.errors import RotoError
from ultimate_roto.core.project.document import Document
from ultimate_roto.core.project.persist import (
    PROJECT_SUFFIX,
    read_project_json,
    save_project,
    sidecar_dir,
)

log = logging.getLogger(__name__)
AUTOSAVE_SUFFIX = ".autosave" + PROJECT_SUFFIX
UNTITLED = "untitled"


def autosave_path(project_path: str | Path | None, directory: str | Path) -> Path:
    """``<directory>/<stem>.autosave.roto``; unsaved sessions use ``untitled-<pid>``."""
    stem = Path(project_path).stem if project_path else f"{UNTITLED}-{os.getpid()}"
    return Path(directory).absolute() / (stem + AUTOSAVE_SUFFIX)


def remove_autosave(path: str | Path) -> None:
    """Delete an autosave file (first, so no half-removed autosave looks usable) and its data."""
    path = Path(path)
    path.unlink(missing_ok=True)
    shutil.rmtree(sidecar_dir(path), ignore_errors=True)


class Autosaver:
    """Saves a document every ``interval_s`` seconds while it has unsaved changes.

    A background thread waits on a ``threading.Event`` with a timeout (no polling loop) and
    writes ``<directory>/<stem>.autosave.roto`` only when the document changed since the last
    autosave and differs from the saved project. When the document becomes clean again (saved,
    or undone back to its save point) the autosave is removed.

    Parameters
    ----------
    doc
        The document to protect.
    project_path
        Its project file, or None for an unsaved session.
    interval_s
        Seconds between checks.
    directory
        Where autosaves go (default: the project's folder; required for unsaved sessions).
    """

    def __init__(
        self,
        doc: Document,
        project_path: str | Path | None,
        interval_s: float = 120.0,
        directory: str | Path | None = None,
    ) -> None:
        if directory is None and project_path is None:
            raise RotoError(
                "an autosave folder is needed for an unsaved project",
                hint="pass directory=, e.g. paths.user_cache_dir() / 'autosave'",
            )
        self.doc = doc
        self.interval_s = float(interval_s)
        self._directory = Path(directory) if directory is not None else None
        self._project_path = Path(project_path).absolute() if project_path else None
        self._stop = threading.Event()
        self._io = threading.Lock()
        self._thread: threading.Thread | None = None
        self._saved_revision: int | None = None
        self.last_error: Exception | None = None
        doc.events.dirty_changed.connect(self._on_dirty_changed)

    @property
    def path(self) -> Path:
        """The autosave file this autosaver writes."""
        folder = self._directory or self._project_path.parent  # type: ignore[union-attr]
        return autosave_path(self._project_path, folder)

    def set_project_path(self, project_path: str | Path) -> None:
        """Follow a "Save As": later autosaves belong to ``project_path``."""
        with self._io:
            remove_autosave(self.path)
            self._project_path = Path(project_path).absolute()
            self._saved_revision = None

    def start(self) -> None:
        """Start the background thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="autosave", daemon=True)
            self._thread.start()

    def stop(self, discard: bool = False) -> None:
        """Stop and join the thread; ``discard`` also removes the autosave (clean close)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if discard:
            self.discard()
        self.doc.events.dirty_changed.disconnect(self._on_dirty_changed)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.save_now()

    def save_now(self) -> bool:
        """Autosave now if needed; returns True when a file was written.

        Errors (full disk …) are logged and kept in :attr:`last_error`, never raised: an
        autosave must not take the session down.
        """
        with self._io:
            revision = self.doc.revision
            if not self.doc.modified or revision == self._saved_revision:
                return False
            try:
                save_project(self.doc, self.path, mark_clean=False, autosave_of=self._project_path)
            except (RotoError, OSError) as exc:
                self.last_error = exc
                log.warning("autosave to %s failed: %s", self.path, exc)
                return False
            self._saved_revision = revision
            self.last_error = None
            return True

    def discard(self) -> None:
        """Remove the autosave (after a clean save or close)."""
        with self._io:
            remove_autosave(self.path)
            self._saved_revision = self.doc.revision

    def _on_dirty_changed(self, dirty: bool) -> None:
        if not dirty:
            self.discard()


@dataclass(frozen=True)
class RecoveryCandidate:
    """An autosave the GUI can offer to restore."""

    path: Path
    autosave_of: Path | None
    mtime: float


def find_recovery(
    project_path: str | Path | None, directory: str | Path | None = None
) -> RecoveryCandidate | None:
    """Find an autosave worth offering: newer than the saved project, or of an unsaved session.

    Parameters
    ----------
    project_path
        The project being opened, or None to look for an unsaved session's autosave (the
        newest ``untitled-<pid>.autosave.roto`` of a process that no longer runs: a second
        instance must not be offered, and delete, the first one's live autosave).
    directory
        The autosave folder (default: the project's folder).
    """
    if project_path is not None:
        project = Path(project_path).absolute()
        candidate = autosave_path(project, directory or project.parent)
        found = _candidate(candidate)
        if found is None or found.autosave_of not in (None, project):
            return None
        if project.exists() and found.mtime <= project.stat().st_mtime:
            return None
        return found
    if directory is None:
        return None
    own = autosave_path(None, directory)
    unsaved = []
    for path in Path(directory).glob(f"{UNTITLED}-*{AUTOSAVE_SUFFIX}"):
        if path.absolute() == own:
            continue
        try:
            mtime = path.stat().st_mtime
        except OSError:
            continue
        if owner_running(path, mtime):
            continue  # a live session's autosave: not even read (the owner check is cheap)
        found = _candidate(path)
        if found is not None and found.autosave_of is None:
            unsaved.append(found)
    return max(unsaved, key=lambda c: c.mtime, default=None)


def process_running(pid: int, started_by: float | None = None) -> bool:
    """Whether process ``pid`` runs (not a zombie) and, with ``started_by`` (epoch seconds),
    started no later than that (else the pid was reused by a newer, unrelated process)."""
    import psutil

    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        return started_by is None or proc.create_time() <= started_by + 1.0
    except (psutil.Error, OSError):
        return False


def owner_running(path: Path, mtime: float) -> bool:
    """Whether the process writing the ``untitled-<pid>`` autosave at ``path`` (last written
    at ``mtime``) still runs: it started before that write."""
    stem = path.name[: -len(AUTOSAVE_SUFFIX)]
    try:
        pid = int(stem.rsplit("-", 1)[1])
    except (IndexError, ValueError):
        return False
    return process_running(pid, mtime)


def _candidate(path: Path) -> RecoveryCandidate | None:
    try:
        data = read_project_json(path)
        mtime = path.stat().st_mtime
    except (RotoError, OSError):
        return None
    owner = data.get("autosave_of")
    return RecoveryCandidate(path, Path(owner) if isinstance(owner, str) else None, mtime)
