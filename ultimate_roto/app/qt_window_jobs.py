"""Main-window background jobs: Propagate (and re-propagation of an edited keyframe's span),
Refine, Export through core's job-file routes, and the start-up warm-up."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt

from ultimate_roto.app import job_work
from ultimate_roto.app.qt_export import ExportRequest, QtExportDialog
from ultimate_roto.app.qt_jobs import QtJob
from ultimate_roto.core.commands import SetFrameFlagCommand, SetMaskCommand
from ultimate_roto.core.errors import RotoError

if TYPE_CHECKING:
    from ultimate_roto.app.qt_mainwindow import QtMainWindow

log = logging.getLogger(__name__)


class WindowJobsMixin:
    """Part of :class:`QtMainWindow`: jobs on the pool, results applied as one undo step."""

    # -- propagate / refine ----------------------------------------------------------------
    def _job_input(self: QtMainWindow, task: str, obj_id: str | None = None):
        obj_id = obj_id or self._current_object()
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
            device=self.prefs.engine_device,
            options={k: refine[k] for k in ("band", "method") if k in refine},
        )

    def propagate(self: QtMainWindow, direction: str = "both") -> QtJob | None:
        """Propagate the current object's keyframes (inside in/out) forward, backward or both."""
        inp = self._job_input("propagate")
        if inp is None:
            return None
        span = (self.timeline.in_point, self.timeline.out_point)
        read = self.session.read_now
        job = self._start_mask_job(
            f"Propagate {inp.name} {direction} ({span[0]}-{span[1]})",
            lambda p, emit: job_work.propagate(inp, read, span, direction, p, emit),
            inp.obj_id,
        )

        def remember(state: str, _message: str) -> None:
            if state == "done":  # later keyframe edits re-run only their affected span
                self._propagated[inp.obj_id] = span

        job.finished.connect(remember)
        return job

    def repropagate(self: QtMainWindow, obj_id: str, frame: int) -> QtJob | None:
        """After keyframe ``frame`` of a propagated object changed: recompute only the frames
        between its neighbouring keyframes (``keyframes.affected_span``)."""
        from ultimate_roto.core.engines.keyframes import affected_span

        span = self._propagated.get(obj_id)
        if span is None or not span[0] <= frame <= span[1] or self.project is None:
            return None
        keys = sorted(
            k for k in self.project.doc.object(obj_id).keyframes if span[0] <= k <= span[1]
        )
        lo, hi = affected_span(keys, frame, span)
        before = [k for k in keys if k < frame]
        after = [k for k in keys if k > frame]
        frames = (before[-1] if before else lo, after[0] if after else hi)  # neighbours guide
        inp = self._job_input("propagate", obj_id)
        if inp is None or lo == hi == frame:
            return None
        for job in self.jobs.running():  # a newer edit supersedes an unfinished re-run
            if getattr(job, "repropagates", None) == obj_id:
                job.cancel()
        read = self.session.read_now
        job = self._start_mask_job(
            f"Re-propagate {inp.name} {lo}-{hi} (keyframe {frame} changed)",
            lambda p, emit: job_work.propagate(inp, read, frames, "both", p, emit, only=(lo, hi)),
            obj_id,
        )
        job.repropagates = obj_id
        return job

    def refine(self: QtMainWindow) -> QtJob | None:
        """Refine the current object's mask edges over the in/out range."""
        inp = self._job_input("refine")
        if inp is None:
            return None
        frames = list(range(self.timeline.in_point, self.timeline.out_point + 1))
        read = self.session.read_now
        return self._start_mask_job(
            f"Refine {inp.name} ({frames[0]}-{frames[-1]})",
            lambda p, emit: job_work.refine(inp, read, frames, p, emit),
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
        """Apply a finished job's masks and occlusion flags as ONE undo step; a cancelled or
        failed job applies none."""
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

    def warm_up_engines(self: QtMainWindow) -> QtJob:
        """Compile the refine engine's kernels in the background (once, at start-up)."""
        return self.jobs.start("Warm up the refine engine", job_work.warm_up, kind="warmup")

    # -- export ----------------------------------------------------------------------------
    def _doc_objects(self: QtMainWindow) -> list[Any]:
        from ultimate_roto.core.pipeline.doc_exports import DocObject

        snap = self.project.doc.masks.snapshot()
        return [
            DocObject(o.name, dict(snap.get(o.id, {})), job_work.mask_ops_settings(o.mask_ops))
            for o in self.project.doc.objects
        ]

    def _export_job(self: QtMainWindow, entries: list[dict], folder: str, frames: tuple[int, int]):
        """A validated core Job for the entries (raises RotoError naming the bad entry)."""
        from ultimate_roto.core.pipeline.doc_exports import build_job

        info = self.session.info
        return build_job(
            entries,
            input_path=str(info.path),
            output_dir=folder,
            object_names=[o.name for o in self.project.doc.objects],
            frames=frames,
            colorspace=info.colorspace_guess,
            has_depth=self.project.doc.depth is not None,
        )

    def export_dialog(self: QtMainWindow) -> QtExportDialog | None:
        if self.session is None or self.project is None:
            return None
        info = self.session.info
        folder = str(Path(str(self.settings.value("export_dir", str(Path.home())))))
        dialog = QtExportDialog(
            (self.timeline.in_point, self.timeline.out_point),
            (info.first_frame, info.last_frame),
            folder,
            lambda e, f, r: self._export_job(e, f, r),
            self,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.export(dialog.result_request))
        dialog.open()
        return dialog

    def export(self: QtMainWindow, request: ExportRequest) -> QtJob | None:
        """Run the request's exports as a cancellable background job (core export routes)."""
        from ultimate_roto.core.pipeline.doc_exports import FunctionReader, export_document

        if self.session is None or self.project is None:
            return None
        try:
            job_spec = self._export_job(list(request.entries), request.output_dir, request.frames)
        except RotoError as exc:
            self.statusBar().showMessage(f"export: {exc}", 8000)
            return None
        reader = FunctionReader(self.session.info, self.session.read_now)
        objects = self._doc_objects()  # an immutable snapshot: edits during the job are safe
        depth = self.project.doc.snapshot().depth  # immutable too (None: no depth layer)
        self.settings.setValue("export_dir", request.output_dir)

        def work(progress, _emit) -> str:
            lines = export_document(
                job_spec,
                reader,
                objects,
                progress,
                depth=depth,
                resume=request.resume,
                log=log.info,
            )
            return f"exported {request.label} to {request.output_dir}: " + "; ".join(lines)

        return self.jobs.start(f"Export {request.label}", work, kind="export")
