"""Main-window depth: the Compute depth job (one undo step), Clear depth, and the viewport's
depth overlay following the current frame, the Inspector's checkbox and undo/redo."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ultimate_roto.app import job_work
from ultimate_roto.app.overlay_cache import shown_depth
from ultimate_roto.app.qt_jobs import QtJob
from ultimate_roto.core.commands import ClearDepthCommand, SetDepthCommand

if TYPE_CHECKING:
    from ultimate_roto.app.qt_mainwindow import QtMainWindow

log = logging.getLogger(__name__)
NO_DEPTH = "no depth yet — Roto > Compute depth"


class WindowDepthMixin:
    """Part of :class:`QtMainWindow`: the depth layer's job, commands and overlay.

    The window subscribes :meth:`_show_depth` to the document's ``depth_changed`` (so undo,
    redo and a finished job refresh the overlay) and calls it from ``go_to``.
    """

    def compute_depth(self: QtMainWindow) -> QtJob | None:
        """Roto > Compute depth: depth of the in/out range on the pool (progress, ETA and
        Cancel in the Jobs panel); the finished layer replaces the document's depth as ONE
        undo step. A cancelled or failed job changes nothing."""
        if self.session is None or self.project is None:
            self.statusBar().showMessage("compute depth: open media first", 5000)
            return None
        doc = self.project.doc
        shot = doc.shot
        inp = job_work.DepthJobInput(
            shape=(shot.height, shot.width),
            colorspace=self.session.info.colorspace_guess,
            device=self.prefs.engine_device,
        )
        span = (self.timeline.in_point, self.timeline.out_point)
        read = self.session.read_now
        found: dict[str, Any] = {}
        job = self.jobs.start(
            f"Compute depth ({span[0]}-{span[1]})",
            lambda p, emit: job_work.depth(inp, read, span, p, emit),
            kind="depth",
            tag="depth",  # a newer request supersedes an unfinished one
        )
        job.frame_done.connect(lambda _frame, layer: found.__setitem__("layer", layer))
        job.finished.connect(lambda state, _msg: self._depth_job_done(doc, found, state))
        return job

    def _depth_job_done(self: QtMainWindow, doc: Any, found: dict[str, Any], state: str) -> None:
        layer = found.pop("layer", None)
        if state != "done" or layer is None or self.project is None or self.project.doc is not doc:
            return  # cancelled, failed, or the project changed meanwhile: nothing applied
        self.project.stack.push(SetDepthCommand(doc, layer))

    def clear_depth(self: QtMainWindow) -> None:
        """Roto > Clear depth (undoable)."""
        if self.project is None or self.project.doc.depth is None:
            self.statusBar().showMessage("no depth to clear", 3000)
            return
        self.project.stack.push(ClearDepthCommand(self.project.doc))

    # -- overlay ---------------------------------------------------------------------------
    def _depth_toggled(self: QtMainWindow, on: bool) -> None:
        """The Inspector's depth checkbox: show the overlay, or say how to get depth."""
        self.viewport.set_depth_visible(on)
        self._show_depth()
        if not on or self.project is None:
            return
        layer = self.project.doc.depth
        if layer is None:
            self.statusBar().showMessage(NO_DEPTH, 8000)
        elif not layer.has(self.current_frame):
            self.statusBar().showMessage(
                f"no depth on frame {self.current_frame} (depth covers "
                f"{layer.describe()}) — Roto > Compute depth",
                8000,
            )

    def _show_depth(self: QtMainWindow) -> None:
        """The current frame's depth (normalised per shot) on the viewport while the overlay
        is on; decoded only then (about 20 ms a 1080p frame)."""
        layer = self.project.doc.depth if self.project is not None else None
        if not self.viewport.settings.depth_visible or layer is None:
            if self.viewport.depth is not None:
                self.viewport.set_depth(None)
            return
        depth = shown_depth(self.overlays, layer, self.current_frame)
        self.viewport.set_depth(depth, normalised=True)
