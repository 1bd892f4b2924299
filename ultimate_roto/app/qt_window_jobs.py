"""Main-window background jobs: Propagate (and re-propagation of an edited keyframe's span),
Refine, Export through core's job-file routes, the start-up warm-up, and the question asked
before closing over running jobs."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from ultimate_roto.app import job_work
from ultimate_roto.app.job_apply import ApplyReport, MaskJobStart, Payload, apply_mask_results
from ultimate_roto.app.qt_export import ExportRequest, QtExportDialog
from ultimate_roto.app.qt_jobs import QtJob
from ultimate_roto.core.engines import maskops
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
        """Propagate the current object's keyframes (inside in/out) forward, backward or both.

        A newer Propagate of the same object supersedes an unfinished one (and its span's
        re-propagation): only the newest run's results apply."""
        inp = self._job_input("propagate")
        if inp is None:
            return None
        span = (self.timeline.in_point, self.timeline.out_point)
        read = self.session.read_now
        self.jobs.supersede((inp.obj_id, "repropagate"))
        job = self._start_mask_job(
            f"Propagate {inp.name} {direction} ({span[0]}-{span[1]})",
            lambda p, emit: job_work.propagate(inp, read, span, direction, p, emit),
            inp,
            (inp.obj_id, "propagate"),
            inputs=inp.keys_in(*span),
        )

        def remember(state: str, _message: str) -> None:
            if state != "done" or self.project is None:
                return
            self._propagated[inp.obj_id] = span  # later keyframe edits re-run their span
            keys = self.project.doc.object(inp.obj_id).keyframes
            corrected = [f for f in job.report.kept if f in keys]
            if corrected:  # keyframes made during the job guide their spans now
                self.repropagate(inp.obj_id, *corrected)

        job.finished.connect(remember)
        return job

    def repropagate(self: QtMainWindow, obj_id: str, *frames: int) -> QtJob | None:
        """After keyframe(s) ``frames`` of a propagated object changed: recompute only the
        frames between their neighbouring keyframes (``keyframes.affected_span``); a newer
        edit supersedes an unfinished re-run."""
        from ultimate_roto.core.engines.keyframes import affected_span

        span = self._propagated.get(obj_id)
        inside = sorted(f for f in frames if span is not None and span[0] <= f <= span[1])
        if not inside or self.project is None:
            return None
        keys = sorted(
            k for k in self.project.doc.object(obj_id).keyframes if span[0] <= k <= span[1]
        )
        spans = [affected_span(keys, f, span) for f in inside]
        lo, hi = min(s[0] for s in spans), max(s[1] for s in spans)
        before = [k for k in keys if k < inside[0]]
        after = [k for k in keys if k > inside[-1]]
        guide = (before[-1] if before else lo, after[0] if after else hi)  # neighbours guide
        inp = self._job_input("propagate", obj_id)
        if inp is None or lo == hi == inside[0]:
            return None
        read = self.session.read_now
        changed = ", ".join(map(str, inside))
        job = self._start_mask_job(
            f"Re-propagate {inp.name} {lo}-{hi} (keyframe {changed} changed)",
            lambda p, emit: job_work.propagate(inp, read, guide, "both", p, emit, only=(lo, hi)),
            inp,
            (obj_id, "repropagate"),
            inputs=inp.keys_in(*guide),
        )
        job.repropagates = obj_id
        return job

    def refine(self: QtMainWindow) -> QtJob | None:
        """Refine the current object's mask edges over the in/out range (a newer Refine of the
        same object supersedes an unfinished one)."""
        inp = self._job_input("refine")
        if inp is None:
            return None
        frames = list(range(self.timeline.in_point, self.timeline.out_point + 1))
        read = self.session.read_now
        return self._start_mask_job(
            f"Refine {inp.name} ({frames[0]}-{frames[-1]})",
            lambda p, emit: job_work.refine(inp, read, frames, p, emit),
            inp,
            (inp.obj_id, "refine"),
        )

    def _start_mask_job(
        self: QtMainWindow,
        title: str,
        work,
        inp: job_work.MaskJobInput,
        tag: tuple[str, str],
        inputs: tuple[int, ...] = (),
    ) -> QtJob:
        """Run ``work``; its compressed masks are held until it ends, then applied as ONE undo
        step, minus whatever changed meanwhile (see :func:`job_apply.apply_mask_results`)."""
        start = MaskJobStart(  # what the job reads (the input's snapshot: no second copy)
            self.project.doc, inp.obj_id, inp.masks, frozenset(inp.keyframes), tuple(inputs)
        )
        results: dict[int, Payload] = {}

        def apply(message: str) -> tuple[str, str]:
            project = self.project
            doc = project.doc if project is not None else None
            stack = project.stack if project is not None else None
            report = job.report = apply_mask_results(doc, stack, start, results, title)
            results.clear()
            if report.dropped:
                return "dropped", f"{title}: {report.summary()}"
            return "done", f"{message} — {report.summary()}"

        job = self.jobs.start(title, work, kind="mask", tag=tag, apply=apply)
        job.report = ApplyReport()
        job.frame_done.connect(lambda f, payload: results.__setitem__(f, payload))
        job.finished.connect(lambda *_a: results.clear())  # cancelled/failed: nothing applies
        return job

    def _job_added(self: QtMainWindow, job: QtJob) -> None:
        panel = self.log_panel
        panel.job_started(
            job.job_id, job.title, job.cancel, cancellable=job.cancellable, state=job.state
        )
        job.started.connect(lambda: panel.job_running(job.job_id))
        job.progressed.connect(lambda f, m, eta: panel.job_progress(job.job_id, f, m, eta))
        job.finished.connect(lambda state, msg: self._job_finished(job, state, msg))

    def _job_finished(self: QtMainWindow, job: QtJob, state: str, message: str) -> None:
        self.log_panel.job_finished(job.job_id, state, message)
        (log.info if state == "done" else log.warning)("%s", message)
        self.statusBar().showMessage(message, 8000)

    def warm_up_engines(self: QtMainWindow) -> QtJob:
        """Compile the refine engine's kernels in the background (once, at start-up; one call
        into numba that cannot stop half-way: cancellable only while queued)."""
        return self.jobs.start(
            "Warm up the refine engine",
            job_work.warm_up,
            kind="warmup",
            cancellable=False,
            ask_before_quit=False,
        )

    def confirm_stop_jobs(self: QtMainWindow, doing: str) -> bool:
        """Before ``doing`` ("quit"): 'N jobs running — cancel them and quit?'; True to go on.
        Housekeeping jobs (the warm-up, a Verify) are not worth a question."""
        running = [j for j in self.jobs.running() if j.ask_before_quit]
        if not running:
            return True
        names = "\n".join(f"• {j.title}" for j in running[:8])
        more = f"\n… and {len(running) - 8} more" if len(running) > 8 else ""
        answer = QMessageBox.question(
            self,
            "Jobs running",
            f"{len(running)} job{'s' if len(running) > 1 else ''} running:\n{names}{more}\n\n"
            f"Cancel {'them' if len(running) > 1 else 'it'} and {doing}? Their results "
            "will be lost.",
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Discard

    # -- export ----------------------------------------------------------------------------
    def _doc_objects(self: QtMainWindow) -> list[Any]:
        from ultimate_roto.core.pipeline.doc_exports import DocObject

        snap = self.project.doc.masks.snapshot()
        return [
            DocObject(o.name, dict(snap.get(o.id, {})), maskops.object_settings(o.mask_ops))
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
