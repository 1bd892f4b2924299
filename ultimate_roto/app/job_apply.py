"""Applying a finished mask job (propagate, refine) to the document: only what is still valid,
the compressed masks the worker produced stored as they are, as one undo step.

Qt-free. A job computes from a snapshot taken when it started; by the time it ends the user may
have painted a frame, undone the keyframe it started from, deleted the object or opened another
project. :func:`apply_mask_results` compares the document with that snapshot (mask entries are
immutable, so an unchanged frame holds an equal entry) and keeps every change the user made.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ultimate_roto.core.commands import SetEncodedMaskCommand, SetFrameFlagCommand
from ultimate_roto.core.project.masks import EncodedMask

#: What a mask job emits per frame: the compressed mask (None: empty) and, for propagation,
#: whether the object is occluded there (None: leave the flag alone).
Payload = tuple[EncodedMask | None, bool | None]


@dataclass(frozen=True)
class MaskJobStart:
    """The object's state when a mask job started: what its results must still match.

    Attributes
    ----------
    doc
        The document (identity: File > Open makes a new one).
    entries
        The object's compressed masks per frame.
    keyframes
        The object's keyframes.
    inputs
        Keyframes the results were computed from (propagation); if one of them changed, every
        result is stale.
    """

    doc: Any
    obj_id: str
    entries: Mapping[int, EncodedMask]
    keyframes: frozenset[int]
    inputs: tuple[int, ...] = ()

    @classmethod
    def capture(cls, doc: Any, obj_id: str, inputs: Iterable[int] = ()) -> MaskJobStart:
        """Snapshot ``obj_id`` of ``doc`` now (cheap: the entries are shared, not copied)."""
        return cls(
            doc,
            obj_id,
            dict(doc.masks.snapshot().get(obj_id, {})),
            frozenset(doc.object(obj_id).keyframes),
            tuple(sorted(inputs)),
        )

    def frame_changed(self, doc: Any, frame: int) -> bool:
        """True when ``frame`` became a keyframe or its mask changed since the start."""
        if frame in doc.object(self.obj_id).keyframes and frame not in self.keyframes:
            return True
        return doc.masks.encoded(self.obj_id, frame) != self.entries.get(frame)

    def stale_reason(self, doc: Any) -> str:
        """Why no result may apply to ``doc`` (the current document or None); '' if they may."""
        if doc is not self.doc:
            return "another project was opened during the job"
        if not doc.has_object(self.obj_id):
            return "the object was deleted during the job"
        keys = doc.object(self.obj_id).keyframes
        changed = [k for k in self.inputs if k not in keys or self.frame_changed(doc, k)]
        if changed:
            return (
                f"keyframe {frame_list(changed)} changed during the job (it was computed "
                "from the old one) — run it again"
            )
        return ""


@dataclass
class ApplyReport:
    """What :func:`apply_mask_results` did."""

    applied: int = 0
    kept: list[int] = field(default_factory=list)
    dropped: str = ""

    def summary(self) -> str:
        if self.dropped:
            return f"results dropped: {self.dropped}"
        text = f"masks updated on {self.applied} frame(s)"
        if self.kept:
            text += (
                f"; {len(self.kept)} frame(s) changed during the job were kept as they are "
                f"({frame_list(self.kept)})"
            )
        return text


def frame_list(frames: Iterable[int]) -> str:
    """``1001-1003, 1007`` for [1001, 1002, 1003, 1007]."""
    out: list[str] = []
    run: list[int] = []
    for f in sorted(set(frames)):
        if run and f != run[-1] + 1:
            out.append(_span(run))
            run = []
        run.append(f)
    if run:
        out.append(_span(run))
    return ", ".join(out)


def _span(run: list[int]) -> str:
    return str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}"


def set_mask_command(
    doc: Any, obj_id: str, frame: int, new: EncodedMask | None
) -> SetEncodedMaskCommand | None:
    """A command that makes ``frame``'s mask the worker's entry ``new``, or None when it
    already is.

    The entry is stored as is and undo puts the previous entry back: nothing is decoded or
    compressed on the GUI thread, and the undo step holds two compressed entries, not raw crops.
    """
    cmd = SetEncodedMaskCommand(doc, obj_id, frame, new)
    return None if cmd.obsolete else cmd


def apply_mask_results(
    doc: Any, stack: Any, start: MaskJobStart, results: Mapping[int, Payload], title: str
) -> ApplyReport:
    """Push the still-valid results as ONE undo step named ``title``.

    ``doc`` is the window's current document (None: none open). Nothing applies when the
    project, the object or an input keyframe changed; otherwise frames that became keyframes
    or whose mask changed during the job keep the user's version.
    """
    report = ApplyReport(dropped=start.stale_reason(doc))
    if report.dropped:
        return report
    obj_id = start.obj_id
    with stack.macro(title):
        for frame in sorted(results):
            if start.frame_changed(doc, frame):
                report.kept.append(frame)
                continue
            enc, occluded = results[frame]
            cmd = set_mask_command(doc, obj_id, frame, enc)
            if cmd is not None:
                stack.push(cmd)
            flagged = "occluded" in doc.frame_flags(obj_id, frame)
            if occluded is not None and occluded != flagged:
                stack.push(SetFrameFlagCommand(doc, obj_id, frame, "occluded", occluded))
            report.applied += int(cmd is not None)
    return report
