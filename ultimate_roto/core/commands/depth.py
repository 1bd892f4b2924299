"""Undoable depth edits: replace the document's whole depth layer, or clear it."""

from __future__ import annotations

from ultimate_roto.core.commands.stack import Command
from ultimate_roto.core.project.depth import DepthLayer
from ultimate_roto.core.project.document import Document


class SetDepthCommand(Command):
    """Replace the whole depth layer with ``layer`` (None clears it); undo puts the previous
    layer (or none) back. Layers are immutable, so both are kept by reference, compressed.

    Parameters
    ----------
    doc
        The document.
    layer
        The new layer, e.g. a finished depth job's; None removes the depth.
    text
        The undo label; default ``"Compute depth (frames a-b)"`` or ``"Clear depth"``.
    """

    def __init__(self, doc: Document, layer: DepthLayer | None, text: str | None = None) -> None:
        if text is None:
            text = "Clear depth" if layer is None else f"Compute depth ({layer.describe()})"
        super().__init__(text)
        self.doc = doc
        self.before = doc.depth
        self.after = layer
        self.obsolete = self.before is self.after

    def redo(self) -> None:
        self.doc.set_depth(self.after)

    def undo(self) -> None:
        self.doc.set_depth(self.before)

    @property
    def nbytes(self) -> int:
        """The replaced layer this step keeps for undo, while the document does not show it
        (the new layer is counted by the next step that replaces it, or is the current one)."""
        before = self.before
        return before.nbytes if before is not None and before is not self.doc.depth else 0


class ClearDepthCommand(SetDepthCommand):
    """Remove the depth layer (a no-op, dropped by the stack, when there is none)."""

    def __init__(self, doc: Document) -> None:
        super().__init__(doc, None, "Clear depth")
