"""Command base class and the undo/redo CommandStack (merge ids, macros, clean index)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ultimate_roto.core.events import Signal

if TYPE_CHECKING:
    from ultimate_roto.core.project.document import Document


class Command:
    """One undoable edit; subclasses store absolute before/after values.

    Attributes
    ----------
    text
        Readable label for menus ("Move Point").
    merge_id
        Commands with the same non-None id may be merged by :meth:`merge_with`
        (e.g. all moves of one drag).
    obsolete
        Set True when the command turned into a no-op (e.g. a drag back to its start);
        the stack then drops it.
    """

    merge_id: object | None = None

    def __init__(self, text: str) -> None:
        self.text = text
        self.obsolete = False

    def redo(self) -> None:
        """Apply the edit (also called once by :meth:`CommandStack.push`)."""
        raise NotImplementedError

    def undo(self) -> None:
        """Revert exactly what :meth:`redo` did."""
        raise NotImplementedError

    def merge_with(self, other: Command) -> bool:
        """Absorb ``other`` (already executed) into self; return True if merged."""
        return False

    @property
    def nbytes(self) -> int:
        """Memory this step keeps alive for undo/redo beyond the document's current state
        (0 for small edits; big ones, e.g. a replaced depth layer, say so to be trimmed)."""
        return 0

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.text!r}>"


class MacroCommand(Command):
    """A compound edit: children redone in order and undone in reverse, as one step."""

    def __init__(self, text: str, children: list[Command] | None = None) -> None:
        super().__init__(text)
        self.children: list[Command] = list(children or [])

    def redo(self) -> None:
        for child in self.children:
            child.redo()

    def undo(self) -> None:
        for child in reversed(self.children):
            child.undo()

    @property
    def nbytes(self) -> int:
        return sum(child.nbytes for child in self.children)


class CommandStack:
    """The one undo stack of a document.

    Parameters
    ----------
    limit
        Maximum number of undo steps kept (0 = unlimited); the oldest are dropped.
    byte_limit
        Memory the history may keep alive (sum of :attr:`Command.nbytes`, 0 = unlimited); the
        oldest steps are dropped past it, never the newest one.
    document
        Optional :class:`~ultimate_roto.core.project.Document` to keep in step: the document's
        modified flag follows :attr:`is_clean`, and a save that marks the document clean
        (its ``dirty_changed(False)``) marks the current index clean.

    Attributes
    ----------
    index_changed : Signal(int)
        The current index (number of applied commands) after every push, merge, undo, redo,
        clear and set_clean (refresh undo/redo labels on it).
    clean_changed : Signal(bool)
        Emitted when :attr:`is_clean` flips.
    """

    def __init__(
        self, limit: int = 500, document: Document | None = None, byte_limit: int = 2 << 30
    ) -> None:
        self.limit = int(limit)
        self.byte_limit = int(byte_limit)
        self._commands: list[Command] = []
        self._index = 0
        self._clean_index: int | None = 0
        self._macros: list[MacroCommand] = []
        self.index_changed = Signal(int, name="index_changed")
        self.clean_changed = Signal(bool, name="clean_changed")
        self._document = document
        if document is not None:
            document.events.dirty_changed.connect(self._on_document_dirty)
            self.clean_changed.connect(self._on_clean_changed)

    def _on_document_dirty(self, dirty: bool) -> None:
        if not dirty:
            self.set_clean()

    def _on_clean_changed(self, clean: bool) -> None:
        if self._document is not None:
            self._document.set_modified(not clean)

    # -- state -----------------------------------------------------------------------------
    @property
    def index(self) -> int:
        return self._index

    def __len__(self) -> int:
        return len(self._commands)

    def command(self, i: int) -> Command:
        return self._commands[i]

    @property
    def can_undo(self) -> bool:
        return not self._macros and self._index > 0

    @property
    def can_redo(self) -> bool:
        return not self._macros and self._index < len(self._commands)

    @property
    def undo_text(self) -> str:
        """Label of the command :meth:`undo` would revert ("" when none)."""
        return self._commands[self._index - 1].text if self.can_undo else ""

    @property
    def redo_text(self) -> str:
        return self._commands[self._index].text if self.can_redo else ""

    @property
    def is_clean(self) -> bool:
        """True at the index marked by :meth:`set_clean` (the last save)."""
        return self._clean_index == self._index

    @property
    def in_macro(self) -> bool:
        return bool(self._macros)

    def set_clean(self) -> None:
        """Mark the current index as the saved state."""
        self._set_state(self._index, self._index)

    def clear(self) -> None:
        """Forget every command (the current state becomes clean)."""
        if self._macros:
            raise RuntimeError("cannot clear the undo stack while a macro is open")
        self._commands.clear()
        self._set_state(0, 0)

    # -- editing ---------------------------------------------------------------------------
    def push(self, cmd: Command) -> None:
        """Execute ``cmd.redo()`` and record it (merging with the previous one if allowed).

        If ``redo`` raises, nothing is recorded and the exception propagates.
        """
        cmd.redo()
        if self._macros:
            children = self._macros[-1].children
            if not (children and self._try_merge(children[-1], cmd)):
                children.append(cmd)
            return
        del self._commands[self._index :]
        clean = self._clean_index
        if clean is not None and clean > self._index:
            clean = None  # the saved state can no longer be reached
        top = self._commands[-1] if self._commands else None
        if top is not None and self._index != clean and self._try_merge(top, cmd):
            if top.obsolete:
                self._commands.pop()
            self._set_state(len(self._commands), clean)
            return
        if not cmd.obsolete:
            self._commands.append(cmd)
        self._trim_and_set(clean)

    @staticmethod
    def _try_merge(top: Command, cmd: Command) -> bool:
        return (
            top.merge_id is not None
            and top.merge_id == cmd.merge_id
            and type(top) is type(cmd)
            and top.merge_with(cmd)
        )

    def _trim_and_set(self, clean: int | None) -> None:
        extra = len(self._commands) - self.limit if self.limit > 0 else 0
        if self.byte_limit > 0:
            sizes = [c.nbytes for c in self._commands]
            total = sum(sizes[max(0, extra) :])
            while total > self.byte_limit and max(0, extra) < len(sizes) - 1:
                total -= sizes[max(0, extra)]
                extra = max(0, extra) + 1
        if extra > 0:
            del self._commands[:extra]
            clean = None if clean is None or clean < extra else clean - extra
        self._set_state(len(self._commands), clean)

    def undo(self) -> bool:
        """Revert the last applied command; returns False when there is none."""
        self._no_open_macro("undo")
        if self._index == 0:
            return False
        self._commands[self._index - 1].undo()
        self._set_state(self._index - 1, self._clean_index)
        return True

    def redo(self) -> bool:
        """Re-apply the next command; returns False when there is none."""
        self._no_open_macro("redo")
        if self._index >= len(self._commands):
            return False
        self._commands[self._index].redo()
        self._set_state(self._index + 1, self._clean_index)
        return True

    # -- macros ----------------------------------------------------------------------------
    def begin_macro(self, text: str) -> None:
        """Start a compound edit; commands pushed until :meth:`end_macro` undo as one step."""
        self._macros.append(MacroCommand(text))

    def end_macro(self) -> None:
        """Close the innermost macro; the outermost one lands on the stack (if not empty)."""
        if not self._macros:
            raise RuntimeError("end_macro() without begin_macro()")
        macro = self._macros.pop()
        if not macro.children:
            return
        if self._macros:
            self._macros[-1].children.append(macro)
            return
        del self._commands[self._index :]
        clean = self._clean_index
        if clean is not None and clean > self._index:
            clean = None
        self._commands.append(macro)
        self._trim_and_set(clean)

    @contextmanager
    def macro(self, text: str) -> Iterator[None]:
        """``with stack.macro("Delete Objects"): ...``; on an exception the partial edit is
        undone and nothing is recorded."""
        self.begin_macro(text)
        try:
            yield
        except BaseException:
            failed = self._macros.pop()
            failed.undo()
            raise
        self.end_macro()

    # -- internals -------------------------------------------------------------------------
    def _no_open_macro(self, what: str) -> None:
        if self._macros:
            raise RuntimeError(f"cannot {what} while macro '{self._macros[-1].text}' is open")

    def _set_state(self, index: int, clean: int | None) -> None:
        was_clean = self.is_clean
        self._index, self._clean_index = index, clean
        self.index_changed.emit(index)
        if self.is_clean != was_clean:
            self.clean_changed.emit(self.is_clean)
