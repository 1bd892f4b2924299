"""Main-window roto work: tools on the viewport, live segmentation (one undo step per click)
and the overlays (mask ops shown live, occluded frames)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np

from ultimate_roto.app.overlay_cache import shown_mask
from ultimate_roto.app.qt_segment import QtSegmentWorker
from ultimate_roto.core.commands import SetKeyframeCommand, SetMaskCommand
from ultimate_roto.core.engines import maskops

if TYPE_CHECKING:
    from ultimate_roto.app.qt_mainwindow import QtMainWindow

log = logging.getLogger(__name__)


class WindowWorkMixin:
    """Part of :class:`QtMainWindow`: viewport tools, segmentation and the overlays."""

    # -- tools -----------------------------------------------------------------------------
    def _connect_tools(self: QtMainWindow) -> None:
        v, tools = self.viewport, self.tools
        v.image_pressed.connect(tools.pressed)
        v.image_dragged.connect(tools.dragged)
        v.image_released.connect(tools.released)
        v.view_changed.connect(tools.set_view_zoom)
        tools.prompts_edited.connect(self.segment_object)
        tools.mask_corrected.connect(self._mask_corrected)
        tools.drag_finished.connect(self._apply_parked_masks)
        tools.object_picked.connect(self.layers.select)
        tools.preview_changed.connect(self._show_prompts)
        tools.message.connect(lambda text: self.statusBar().showMessage(text, 5000))
        self.inspector.brush_changed.connect(lambda s, h: tools.set_brush(s, h))
        self.inspector.brush_changed.connect(lambda _s, _h: self._show_brush_cursor())
        # pulled weights or a new models folder change which engines the Inspector offers
        self.models_panel.refreshed.connect(self.inspector.object_panel.refresh_engines)

    def _tool_changed(self: QtMainWindow, name: str) -> None:
        self.tools.set_tool(name)
        self.viewport.alt_pans = name != "point"  # Alt-click is a background point
        self.tool_label.setText(f"Tool: {name.capitalize()}")
        self.inspector.show_tool(name)
        self._show_brush_cursor()

    def _show_brush_cursor(self: QtMainWindow) -> None:
        """The brush and eraser outline their size (and hardness) at the pointer."""
        tools = self.tools
        brush = tools.name in ("brush", "eraser")
        self.viewport.set_brush_cursor(tools.brush_size if brush else None, tools.brush_hardness)

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
        self._seg_prompt: dict[tuple[str, int], object] = {}  # the click's command, to merge
        self._seg_parked: list[tuple] = []  # results that landed during a tool drag

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
        stack = self.project.stack
        top = stack.command(stack.index - 1) if stack.index and not stack.in_macro else None
        self._seg_prompt[(obj_id, frame)] = top  # the prompt edit that asked for this mask
        req = self.segmenter.request(
            obj_id=obj_id,
            frame=frame,
            engine=obj.engines.get("segment", "auto"),
            points=tuple(prompts.points),
            boxes=tuple(prompts.boxes),
            name=obj.name,
            device=self.prefs.engine_device,
        )
        self._seg_wanted[(obj_id, frame)] = req
        self.statusBar().showMessage(f"segmenting {obj.name} on frame {frame}…")
        return req

    def _segmented(
        self: QtMainWindow, req: int, obj_id: str, frame: int, mask: np.ndarray, seconds: float
    ) -> None:
        if self._seg_wanted.get((obj_id, frame)) != req or self.project is None:
            return  # superseded by a newer click, or the project changed
        if self.tools.dragging:  # never under a drag: it would split the drag's undo step
            self._seg_parked.append((req, obj_id, frame, mask, seconds))
            return
        del self._seg_wanted[(obj_id, frame)]
        prompt_cmd = self._seg_prompt.pop((obj_id, frame), None)
        doc, stack = self.project.doc, self.project.stack
        if not doc.has_object(obj_id) or stack.in_macro:
            return
        name = doc.object(obj_id).name
        merge = (
            prompt_cmd is not None and stack.index and stack.command(stack.index - 1) is prompt_cmd
        )
        if merge:  # one undo step per click: the prompt edit and the mask it produced
            stack.undo()
        with stack.macro(prompt_cmd.text if merge else f"Segment {name} (frame {frame})"):
            if merge:
                stack.push(prompt_cmd)
            stack.push(SetMaskCommand(doc, obj_id, frame, mask))
            if frame not in doc.object(obj_id).keyframes:
                stack.push(SetKeyframeCommand(doc, obj_id, frame))
        self.statusBar().showMessage(f"mask of {name} on frame {frame} in {seconds:.2f} s", 5000)
        self.repropagate(obj_id, frame)

    def _apply_parked_masks(self: QtMainWindow) -> None:
        """A drag ended: apply the segmentations that landed during it, unless the drag's
        own edit asked for a newer one (then they are stale and dropped)."""
        parked, self._seg_parked = getattr(self, "_seg_parked", []), []
        for result in parked:
            self._segmented(*result)

    def _mask_corrected(self: QtMainWindow, obj_id: str, frame: int) -> None:
        """A brush/eraser/transform correction makes its frame a keyframe (in the same undo
        step as the stroke) and re-propagates the span between the neighbouring keyframes."""
        if self.project is None or not self.project.doc.has_object(obj_id):
            return
        doc, stack = self.project.doc, self.project.stack
        if frame not in doc.object(obj_id).keyframes and stack.index and not stack.in_macro:
            stroke = stack.command(stack.index - 1)
            stack.undo()
            with stack.macro(stroke.text):
                stack.push(stroke)
                stack.push(SetKeyframeCommand(doc, obj_id, frame))
        self.repropagate(obj_id, frame)

    def _segment_failed(self: QtMainWindow, req: int, obj_id: str, frame: int, text: str) -> None:
        if self._seg_wanted.get((obj_id, frame)) == req:
            del self._seg_wanted[(obj_id, frame)]
            self._seg_prompt.pop((obj_id, frame), None)
            self.statusBar().showMessage(f"segmentation: {text}", 8000)
            log.warning("segmentation of frame %d: %s", frame, text)

    # -- overlays --------------------------------------------------------------------------
    def _current_object(self: QtMainWindow) -> str | None:
        obj_id = self.layers.current_id()
        if self.project is None or not obj_id or not self.project.doc.has_object(obj_id):
            return None
        return obj_id

    def _show_mask(self: QtMainWindow) -> None:
        """Overlay the selected object's mask on the current frame, in its colour, with its
        grow/shrink and feather applied (non-destructive: the document keeps the raw mask)."""
        obj_id = self._current_object()
        if obj_id is None or self.session is None or not self.project.doc.object(obj_id).visible:
            self.viewport.set_mask(None)
            return
        obj = self.project.doc.object(obj_id)
        ops = maskops.object_settings(obj.mask_ops)
        mask = shown_mask(self.overlays, self.project.doc, obj_id, self.current_frame, ops)
        self.viewport.set_mask(mask, tuple(c / 255.0 for c in obj.color))

    def _mask_changed(self: QtMainWindow, obj_id: str, frame: int, bbox: tuple) -> None:
        if obj_id != self._current_object() or frame != self.current_frame:
            return
        doc = self.project.doc
        full = (0, 0, doc.shot.width, doc.shot.height)
        ops = maskops.object_settings(doc.object(obj_id).mask_ops)
        if self.viewport.mask is None or tuple(bbox) == full or maskops.ops_active(ops):
            self._show_mask()  # (grow/feather reach beyond the dab: redo the whole overlay)
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
