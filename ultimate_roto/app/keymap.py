"""Qt-free keymap: the workstation's actions, their default keys, rebinding and conflicts."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ActionSpec:
    """One bindable action: a stable id, a menu label, a group and its default key.

    ``repeat``: whether holding the key repeats the action (stepping, undo); toggles and
    one-shot commands do not repeat (holding Space must not flicker play/pause).
    """

    id: str
    label: str
    group: str
    default: str  # QKeySequence portable text, "" for none
    repeat: bool = False


DEFAULT_ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("file.open", "Open media or project…", "File", "Ctrl+O"),
    ActionSpec("file.open_folder", "Open sequence folder…", "File", "Ctrl+Shift+O"),
    ActionSpec("file.save", "Save project", "File", "Ctrl+S"),
    ActionSpec("file.save_as", "Save project as…", "File", "Ctrl+Shift+S"),
    ActionSpec("file.export", "Export / convert…", "File", "Ctrl+E"),
    ActionSpec("file.quit", "Quit", "File", "Ctrl+Q"),
    ActionSpec("playback.toggle", "Play / Pause", "Playback", "Space"),
    ActionSpec("playback.reverse", "Play reverse (repeat: faster)", "Playback", "J"),
    ActionSpec("playback.stop", "Stop", "Playback", "K"),
    ActionSpec("playback.forward", "Play forward (repeat: faster)", "Playback", "L"),
    ActionSpec("timeline.set_in", "Set in point", "Timeline", "I"),
    ActionSpec("timeline.set_out", "Set out point", "Timeline", "O"),
    ActionSpec("timeline.prev_key", "Previous keyframe", "Timeline", "[", repeat=True),
    ActionSpec("timeline.next_key", "Next keyframe", "Timeline", "]", repeat=True),
    ActionSpec("timeline.step_back", "Step back one frame", "Timeline", "Left", repeat=True),
    ActionSpec("timeline.step_forward", "Step forward one frame", "Timeline", "Right", repeat=True),
    ActionSpec("timeline.first", "Go to in point (first frame when none)", "Timeline", "Home"),
    ActionSpec("timeline.last", "Go to out point (last frame when none)", "Timeline", "End"),
    ActionSpec("tool.select", "Select tool", "Tools", "Q"),
    ActionSpec("tool.move", "Move tool", "Tools", "W"),
    ActionSpec("tool.brush", "Brush tool", "Tools", "B"),
    ActionSpec("tool.eraser", "Eraser tool", "Tools", "E"),
    ActionSpec("tool.point", "Point prompt tool (Alt-click: background)", "Tools", "P"),
    ActionSpec("tool.box", "Box prompt tool", "Tools", "X"),
    ActionSpec("tool.rotate", "Rotate mask tool (drag around the centroid)", "Tools", "R"),
    ActionSpec("tool.scale", "Scale mask tool (drag from/to the centroid)", "Tools", "S"),
    ActionSpec(
        "tool.cancel", "Cancel the current drag (stroke, box, move, transform)", "Tools", "Esc"
    ),
    ActionSpec("view.fit", "Fit image in viewport", "View", "F"),
    ActionSpec("view.one_to_one", "Zoom 1:1", "View", "1"),
    ActionSpec("view.show_all", "Show all channels (RGB)", "View", "A"),
    ActionSpec("view.matte", "Show the object's matte in grey (again: back to RGB)", "View", "M"),
    ActionSpec("view.toggle_overlay", "Toggle mask overlay", "View", "~"),
    ActionSpec("edit.undo", "Undo", "Edit", "Ctrl+Z", repeat=True),
    ActionSpec("edit.redo", "Redo", "Edit", "Ctrl+Shift+Z", repeat=True),
    ActionSpec("edit.preferences", "Preferences…", "Edit", "Ctrl+,"),
    ActionSpec("roto.add_object", "Add object", "Roto", "Ctrl+N"),
    ActionSpec("jobs.propagate", "Propagate from keyframes", "Jobs", "Ctrl+P"),
    ActionSpec("jobs.refine", "Refine edges", "Jobs", "Ctrl+R"),
    ActionSpec("jobs.depth", "Compute depth (in/out range)", "Jobs", "Ctrl+D"),
    ActionSpec("help.shortcuts", "Keyboard shortcuts", "Help", "F1"),
)

MOUSE_BINDINGS: tuple[tuple[str, str, str], ...] = (  # group, what, gesture (not rebindable)
    ("Viewport", "Zoom at the cursor", "Scroll wheel"),
    ("Viewport", "Pan", "Middle-drag"),
    ("Viewport", "Pan (any tool but the point tool)", "Alt+drag"),
    ("Tools", "Foreground point (point tool)", "Click"),
    ("Tools", "Background point / exclude (point tool)", "Alt+click"),
    ("Tools", "Box prompt (box tool)", "Drag"),
    ("Timeline", "Go to a frame / scrub", "Click / drag on the timeline"),
)


def _norm(key: str) -> str:
    return key.strip().lower()


class Keymap:
    """Current key per action id, starting from the defaults; empty string = unbound."""

    def __init__(self, actions: tuple[ActionSpec, ...] = DEFAULT_ACTIONS) -> None:
        self.actions = {a.id: a for a in actions}
        self._keys = {a.id: a.default for a in actions}

    def key(self, action_id: str) -> str:
        return self._keys[self._check(action_id)]

    def bind(self, action_id: str, key: str) -> None:
        self._keys[self._check(action_id)] = key.strip()

    def reset(self, action_id: str | None = None) -> None:
        ids = [action_id] if action_id else list(self.actions)
        for i in ids:
            self._keys[self._check(i)] = self.actions[i].default

    def overrides(self) -> dict[str, str]:
        """Bindings that differ from the defaults (what gets saved)."""
        return {i: k for i, k in self._keys.items() if k != self.actions[i].default}

    def load(self, overrides: dict[str, str]) -> list[str]:
        """Apply saved overrides; returns the unknown ids that were ignored."""
        unknown = [i for i in overrides if i not in self.actions]
        for i, k in overrides.items():
            if i in self.actions:
                self._keys[i] = str(k)
        return unknown

    def conflicts(self) -> dict[str, list[str]]:
        """Keys bound to more than one action: {key: [action ids]}."""
        by_key: dict[str, list[str]] = {}
        for i, k in self._keys.items():
            if k:
                by_key.setdefault(_norm(k), []).append(i)
        return {k: ids for k, ids in by_key.items() if len(ids) > 1}

    def conflicts_with(self, action_id: str, key: str) -> list[str]:
        """Other actions already using ``key``."""
        n = _norm(key)
        return [i for i, k in self._keys.items() if k and i != action_id and _norm(k) == n]

    def _check(self, action_id: str) -> str:
        if action_id not in self.actions:
            raise KeyError(f"unknown action '{action_id}'")
        return action_id
