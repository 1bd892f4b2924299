"""Main-window roto work: tools on the viewport, live segmentation, and the background jobs."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import Qt

from ultimate_roto.app import job_work
from ultimate_roto.app.qt_export import ExportRequest, QtExportDialog
from ultimate_roto.app.qt_jobs import QtJob
from ultimate_roto.app.qt_segment import QtSegmentWorker
from ultimate_roto.core.commands import SetFrameFlagCommand, SetKeyframeCommand, SetMaskCommand
from ultimate_roto.core.errors import RotoError

if TYPE_CHECKING:
    from ultimate_roto.app.qt_mainwindow import QtMainWindow

log = logging.getLogger(__name__)


class WindowWorkMixin:
    """Part of :class:`QtMainWindow`: viewport tools, segmentation and Propagate/Refine/Export."""

    # -- tools -----------------------------------------------------------------------------
    def _connect_tools(self: QtMainWindow) -> None:
        v, tools = self.viewport, self.tools
        v.image_pressed.connect(tools.pressed)
        v.image_dragged.connect(tools.dragged)
        v.image_released.connect(tools.released)
        tools.prompts_edited.connect(self.segment_object)
        tools.object_picked.connect(self.layers.select)
        tools.preview_changed.connect(self._show_prompts)
        tools.message.connect(lambda text: self.statusBar().showMessage(text, 5000))
        self.inspector.brush_changed.connect(lambda s, h: tools.set_brush(s, h))

    def _tool_changed(self: QtMainWindow, name: str) -> None:
        self.tools.set_tool(name)
        self.viewport.alt_pans = name != "point"  # Alt-click is a background point
        self.tool_label.setText(f"Tool: {name.capitalize()}")
        self.inspector.show_tool(name)

    def _object_changed(self: QtMainWindow, obj_id: str) -> None:
        self.tools.set_object(obj_id)
        self.inspector.object_panel.show_object(self.project, obj_id)
        self._show_mask()
        self._show_prompts()
        self._show_flags()

    # -- segmentation ----------------------------------------------------------------------
    def _start_segmenter(self: QtMainWindow) -> None:
        assert self.session is not None
        self.segmenter = QtSegmentWorker(
            self.session.read_now, self.session.info.colorspace_guess, self
        )
        self.segmenter.mask_ready.connect(self._segmented)
        self.segmenter.failed.connect(self._segment_failed)
        self._seg_wanted: dict[tuple[str, int], int] = {}

    def _stop_segmenter(self: QtMainWindow) -> None:
        if self.segmenter is not None:
            self.segmenter.shutdown()
            self.segmenter.deleteLater()
            self.segmenter = None

    def segment_object(self: QtMainWindow, obj_id: str, frame: int) -> int:
        """Recompute ``obj_id``'s mask on ``frame`` from its prompts (background; -1: nothing)."""
        if (
            self.project is None
            or self.segmenter is None
            or not self.project.doc.has_object(obj_id)
        ):
            return -1
        doc = self.project.doc
        obj, prompts = doc.object(obj_id), doc.prompts(obj_id, frame)
        if not prompts.points and not prompts.boxes:
            return -1
        req = self.segmenter.request(
            obj_id=obj_id,
            frame=frame,
            engine=obj.engines.get("segment", "auto"),
            points=tuple(prompts.points),
            boxes=tuple(prompts.boxes),
            name=obj.name,
            device=self.prefs.device,
        )
        self._seg_wanted[(obj_id, frame)] = req
        self.statusBar().showMessage(f"segmenting {obj.name} on frame {frame}…")
        return req

    def _segmented(
        self: QtMainWindow, req: int, obj_id: str, frame: int, mask: np.ndarray, seconds: float
    ) -> None:
        if self._seg_wanted.get((obj_id, frame)) != req or self.project is None:
            return  # superseded by a newer click, or the project changed
        del self._seg_wanted[(obj_id, frame)]
        doc, stack = self.project.doc, self.project.stack
        if not doc.has_object(obj_id) or stack.in_macro:
            return
        name = doc.object(obj_id).name
        with stack.macro(f"Segment {name} (frame {frame})"):
            stack.push(SetMaskCommand(doc, obj_id, frame, mask))
            if frame not in doc.object(obj_id).keyframes:
                stack.push(SetKeyframeCommand(doc, obj_id, frame))
        self.statusBar().showMessage(f"mask of {name} on frame {frame} in {seconds:.2f} s", 5000)

    def _segment_failed(self: QtMainWindow, req: int, obj_id: str, frame: int, text: str) -> None:
        if self._seg_wanted.get((obj_id, frame)) == req:
            del self._seg_wanted[(obj_id, frame)]
            self.statusBar().showMessage(f"segmentation: {text}", 8000)
            log.warning("segmentation of frame %d: %s", frame, text)

    # -- overlays --------------------------------------------------------------------------
    def _current_object(self: QtMainWindow) -> str | None:
        obj_id = self.layers.current_id()
        if self.project is None or not obj_id or not self.project.doc.has_object(obj_id):
            return None
        return obj_id

    def _show_mask(self: QtMainWindow) -> None:
        """Overlay the selected object's mask on the current frame, in its colour."""
        obj_id = self._current_object()
        if obj_id is None or self.session is None or not self.project.doc.object(obj_id).visible:
            self.viewport.set_mask(None)
            return
        obj = self.project.doc.object(obj_id)
        mask = self.project.doc.mask(obj_id, self.current_frame)
        self.viewport.set_mask(mask, tuple(c / 255.0 for c in obj.color))

    def _mask_changed(self: QtMainWindow, obj_id: str, frame: int, bbox: tuple) -> None:
        if obj_id != self._current_object() or frame != self.current_frame:
            return
        doc = self.project.doc
        full = (0, 0, doc.shot.width, doc.shot.height)
        if self.viewport.mask is None or tuple(bbox) == full:
            self._show_mask()
        else:  # a brush dab: copy only its bbox (interactive at 4K too)
            self.viewport.set_mask_region(bbox, doc.mask_region(obj_id, frame, bbox))

    def _show_prompts(self: QtMainWindow) -> None:
        obj_id = self._current_object()
        if obj_id is None:
            self.viewport.set_prompts([], [], self.tools.box_preview())
            return
        fp = self.project.doc.prompts(obj_id, self.current_frame)
        self.viewport.set_prompts(fp.points, fp.boxes, self.tools.box_preview())

    def _show_flags(self: QtMainWindow) -> None:
        obj_id = self._current_object()
        obj = self.project.doc.object(obj_id) if obj_id else None
        frames = [f for f, flags in obj.flags.items() if "occluded" in flags] if obj else []
        self.timeline.set_occluded_frames(frames)

    # -- jobs ------------------------------------------------------------------------------
    def _job_input(self: QtMainWindow, task: str) -> job_work.MaskJobInput | None:
        obj_id = self._current_object()
        if obj_id is None or self.session is None:
            self.statusBar().showMessage(f"{task}: select an object in Layers first", 5000)
            return None
        doc, obj = self.project.doc, self.project.doc.object(obj_id)
        refine = obj.mask_ops.refine
        return job_work.MaskJobInput(
            obj_id=obj_id,
            name=obj.name,
            masks=dict(doc.masks.snapshot().get(obj_id, {})),
            keyframes=tuple(sorted(obj.keyframes)),
            shape=(doc.shot.height, doc.shot.width),
            colorspace=self.session.info.colorspace_guess,
            engine=obj.engines.get(task, "auto"),
            device=self.prefs.device,
            options={k: refine[k] for k in ("band", "method") if k in refine},
        )

    def propagate(self: QtMainWindow, direction: str = "both") -> QtJob | None:
        """Propagate the current object's keyframes forward, backward or both ways."""
        inp = self._job_input("propagate")
        if inp is None:
            return None
        info = self.session.info
        try:
            span = job_work.propagation_span(
                self.current_frame, (self.timeline.in_point, self.timeline.out_point), direction
            )
        except RotoError as exc:
            self.statusBar().showMessage(str(exc), 6000)
            return None
        read, shot = self.session.read_now, (info.first_frame, info.last_frame)
        return self._start_mask_job(
            f"Propagate {inp.name} {direction} ({span[0]}-{span[1]})",
            lambda p, emit: job_work.propagate(inp, read, span, shot, p, emit),
            inp.obj_id,
        )

    def refine(self: QtMainWindow) -> QtJob | None:
        """Refine the current object's mask edges over the in/out range, then apply mask ops."""
        inp = self._job_input("refine")
        if inp is None:
            return None
        frames = list(range(self.timeline.in_point, self.timeline.out_point + 1))
        ops = job_work.mask_ops_settings(self.project.doc.object(inp.obj_id).mask_ops)
        read = self.session.read_now
        return self._start_mask_job(
            f"Refine {inp.name} ({frames[0]}-{frames[-1]})",
            lambda p, emit: job_work.refine(inp, read, frames, ops, p, emit),
            inp.obj_id,
        )

    def _start_mask_job(self: QtMainWindow, title: str, work, obj_id: str) -> QtJob:
        results: dict[int, Any] = {}
        job = self.jobs.start(title, work, kind="mask")
        job.frame_done.connect(lambda f, payload: results.__setitem__(f, payload))
        job.finished.connect(lambda state, msg: self._mask_job_done(job, obj_id, results, state))
        return job

    def _mask_job_done(
        self: QtMainWindow, job: QtJob, obj_id: str, results: dict[int, Any], state: str
    ) -> None:
        """Apply a finished job's masks as ONE undo step; a cancelled/failed job applies none."""
        if state != "done" or self.project is None or not self.project.doc.has_object(obj_id):
            return
        doc, stack = self.project.doc, self.project.stack
        with stack.macro(job.title):
            for frame in sorted(results):
                payload = results[frame]
                mask, occluded = payload if isinstance(payload, tuple) else (payload, None)
                cmd = SetMaskCommand(doc, obj_id, frame, mask)
                if not cmd.obsolete:
                    stack.push(cmd)
                if occluded is not None and occluded != (
                    "occluded" in doc.frame_flags(obj_id, frame)
                ):
                    stack.push(SetFrameFlagCommand(doc, obj_id, frame, "occluded", occluded))
        results.clear()

    def _job_added(self: QtMainWindow, job: QtJob) -> None:
        panel = self.log_panel
        panel.job_started(job.job_id, job.title, job.cancel)
        job.progressed.connect(lambda f, m, eta: panel.job_progress(job.job_id, f, m, eta))
        job.finished.connect(lambda state, msg: self._job_finished(job, state, msg))

    def _job_finished(self: QtMainWindow, job: QtJob, state: str, message: str) -> None:
        self.log_panel.job_finished(job.job_id, state, message)
        (log.info if state == "done" else log.warning)("%s", message)
        self.statusBar().showMessage(message, 8000)

    def export_dialog(self: QtMainWindow) -> QtExportDialog | None:
        if self.session is None or self.project is None:
            return None
        objects = [(o.id, o.name) for o in self.project.doc.objects]
        info = self.session.info
        folder = str(Path(str(self.settings.value("export_dir", str(Path.home())))))
        dialog = QtExportDialog(
            objects,
            (self.timeline.in_point, self.timeline.out_point),
            (info.first_frame, info.last_frame),
            folder,
            self,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.export(dialog.result_request))
        dialog.open()
        return dialog

    def export(self: QtMainWindow, request: ExportRequest) -> QtJob | None:
        """Run an export (plate conversion or mattes) as a background job."""
        if self.session is None or self.project is None:
            return None
        info = self.session.info
        frames = list(range(request.frames[0], request.frames[1] + 1))
        name = None
        if request.is_plate:
            reader = job_work.FrameReader(info, self.session.read_now)
            colorspace, title = info.colorspace_guess, f"Convert plate → {request.spec['path']}"
        else:
            obj = self.project.doc.object(request.obj_id)
            masks = dict(self.project.doc.masks.snapshot().get(obj.id, {}))
            reader = job_work.MaskReader(info, masks)
            colorspace, name = "Linear", obj.name
            title = f"Export mattes of {obj.name} → {request.spec['path']}"
        self.settings.setValue("export_dir", request.output_dir)
        return self.jobs.start(
            title,
            lambda p, emit: job_work.export(
                reader, request.spec, request.output_dir, frames, colorspace, p, emit, name
            ),
            kind="export",
        )
