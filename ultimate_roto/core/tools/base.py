"""Tool plumbing: the fake-able pointer event, the tool context and the generator driver."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field
from typing import Literal

from ultimate_roto.core.commands.stack import CommandStack
from ultimate_roto.core.project.document import Document
from ultimate_roto.core.project.model import RotoObject

EventType = Literal["press", "move", "release"]
ToolGenerator = Generator[None, "ToolEvent", None]


@dataclass(frozen=True)
class ToolEvent:
    """A pointer event in image pixels (x right, y down; pixel centres at +0.5).

    ``buttons`` holds "left"/"middle"/"right"; ``modifiers`` holds "alt"/"shift"/"ctrl".
    The GUI builds these from Qt events; tests build them by hand.
    """

    type: EventType
    x: float
    y: float
    buttons: frozenset[str] = frozenset({"left"})
    modifiers: frozenset[str] = frozenset()

    @property
    def alt(self) -> bool:
        return "alt" in self.modifiers


def press(x: float, y: float, *modifiers: str, button: str = "left") -> ToolEvent:
    """Shorthand for a press event (``press(10, 20, "alt")``)."""
    return ToolEvent("press", x, y, frozenset({button}), frozenset(modifiers))


def move(x: float, y: float, *modifiers: str, button: str = "left") -> ToolEvent:
    return ToolEvent("move", x, y, frozenset({button}), frozenset(modifiers))


def release(x: float, y: float, *modifiers: str, button: str = "left") -> ToolEvent:
    return ToolEvent("release", x, y, frozenset({button}), frozenset(modifiers))


@dataclass
class ToolContext:
    """What a tool edits: the document, its command stack, the current object and frame.

    The GUI updates ``obj_id`` and ``frame`` as the user selects layers and scrubs.
    """

    doc: Document
    stack: CommandStack
    obj_id: str | None = None
    frame: int = 0
    options: dict[str, object] = field(default_factory=dict)

    def editable_object(self) -> RotoObject | None:
        """The current object if it exists and is not locked, else None."""
        if self.obj_id is None or not self.doc.has_object(self.obj_id):
            return None
        obj = self.doc.object(self.obj_id)
        return None if obj.locked else obj

    def inside(self, x: float, y: float) -> bool:
        shot = self.doc.shot
        return 0 <= x < shot.width and 0 <= y < shot.height


class Tool:
    """Base of the interaction tools.

    Subclasses implement :meth:`drag`: a generator that receives the press event as its
    argument, then every later event via ``send`` (``event = yield``), and returns when it
    sees the release. It pushes commands on ``ctx.stack``; it never touches Qt.
    """

    name = "tool"

    def __init__(self, ctx: ToolContext) -> None:
        self.ctx = ctx

    def drag(self, event: ToolEvent) -> ToolGenerator:
        raise NotImplementedError
        yield  # pragma: no cover


class ToolDriver:
    """Feeds events to a tool's generator: press starts it, moves continue, release ends it."""

    def __init__(self, tool: Tool) -> None:
        self.tool = tool
        self._gen: ToolGenerator | None = None

    @property
    def active(self) -> bool:
        return self._gen is not None

    def handle(self, event: ToolEvent) -> None:
        """Route one event; a press during a drag cancels the old drag first."""
        if event.type == "press":
            self.cancel()
            self._gen = self.tool.drag(event)
            self._advance(None)
        elif self._gen is not None:
            self._advance(event)
            if event.type == "release" and self._gen is not None:
                self.cancel()  # the tool ignored the release: end it anyway

    def cancel(self) -> None:
        """Abort the current drag (the tool's generator sees GeneratorExit)."""
        if self._gen is not None:
            gen, self._gen = self._gen, None
            gen.close()

    def _advance(self, event: ToolEvent | None) -> None:
        assert self._gen is not None
        try:
            if event is None:
                next(self._gen)
            else:
                self._gen.send(event)
        except StopIteration:
            self._gen = None


def run_tool(tool: Tool, events: Iterable[ToolEvent]) -> None:
    """Feed ``events`` (press, moves, release …) to ``tool`` through a :class:`ToolDriver`."""
    driver = ToolDriver(tool)
    for event in events:
        driver.handle(event)


def wait_for_release() -> ToolGenerator:
    """Sub-generator for tools that act on press: swallow moves until the release."""
    while True:
        event = yield
        if event.type == "release":
            return


def live_drag(
    doc: Document,
    show: Callable[[ToolEvent], bool],
    put_back: Callable[[], None],
    record: Callable[[], None],
) -> ToolGenerator:
    """Sub-generator for a drag that edits the document live and records it on release.

    ``show(event)`` applies the result for each move and the release to the document (no
    command) and says whether it changed anything. Once something was shown, the end of the
    drag calls ``put_back()`` to restore the state at the press (the modified flag too) and,
    after a release but not a cancel, ``record()`` to push the edit as one undo step.
    """
    was_modified = doc.modified
    shown = released = False
    try:
        while True:
            event = yield
            try:
                shown = show(event) or shown
            except BaseException:
                shown = True  # a show that failed half-way may have changed the document
                raise
            if event.type == "release":
                released = True
                return
    finally:
        if shown:
            put_back()
            doc.set_modified(was_modified)
            if released:
                record()
