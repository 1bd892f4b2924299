"""CommandStack: push/undo/redo, labels, merge ids, macros, clean index, depth limit."""

from __future__ import annotations

import pytest

from ultimate_roto.core.commands import Command, CommandStack


class Append(Command):
    """Appends a value to a list (a minimal real command)."""

    def __init__(self, log: list, value: object, merge_id: object = None) -> None:
        super().__init__(f"Append {value}")
        self.log, self.values, self.merge_id = log, [value], merge_id

    def redo(self) -> None:
        self.log.extend(self.values)

    def undo(self) -> None:
        del self.log[len(self.log) - len(self.values) :]

    def merge_with(self, other: Command) -> bool:
        assert isinstance(other, Append)
        self.values += other.values
        self.text = f"Append x{len(self.values)}"
        return True


class Boom(Command):
    def redo(self) -> None:
        raise ValueError("boom")

    def undo(self) -> None:  # pragma: no cover - never applied
        raise AssertionError


def test_push_undo_redo_and_labels() -> None:
    log: list = []
    stack = CommandStack()
    indexes: list[int] = []
    stack.index_changed.connect(indexes.append)
    assert not stack.can_undo and stack.undo_text == "" and stack.undo() is False
    stack.push(Append(log, 1))
    stack.push(Append(log, 2))
    assert log == [1, 2] and stack.undo_text == "Append 2"
    assert stack.undo() and log == [1]
    assert stack.can_redo and stack.redo_text == "Append 2"
    assert stack.redo() and log == [1, 2] and stack.redo() is False
    stack.undo()
    stack.push(Append(log, 3))  # a new push drops the redo branch
    assert log == [1, 3] and not stack.can_redo and len(stack) == 2
    assert indexes == [1, 2, 1, 2, 1, 2]


def test_failed_redo_records_nothing() -> None:
    stack = CommandStack()
    with pytest.raises(ValueError, match="boom"):
        stack.push(Boom("boom"))
    assert len(stack) == 0 and not stack.can_undo


def test_merge_by_id_is_one_step_and_respects_clean_point() -> None:
    log: list = []
    stack = CommandStack()
    for v in range(4):
        stack.push(Append(log, v, merge_id="drag-1"))
    stack.push(Append(log, 9, merge_id="drag-2"))
    assert len(stack) == 2 and stack.command(0).text == "Append x4"
    stack.undo()
    stack.undo()
    assert log == []
    stack.redo()
    assert log == [0, 1, 2, 3]
    stack.set_clean()
    stack.push(Append(log, 5, merge_id="drag-1"))  # never merge into the saved state
    assert len(stack) == 2
    stack.undo()
    assert stack.is_clean and log == [0, 1, 2, 3]


def test_macro_is_one_step_and_nests() -> None:
    log: list = []
    stack = CommandStack()
    with stack.macro("Compound"):
        stack.push(Append(log, "a"))
        stack.begin_macro("Inner")
        stack.push(Append(log, "b"))
        stack.end_macro()
        with pytest.raises(RuntimeError, match="macro 'Compound' is open"):
            stack.undo()
    assert len(stack) == 1 and stack.undo_text == "Compound"
    stack.undo()
    assert log == []
    stack.redo()
    assert log == ["a", "b"]
    with stack.macro("Empty"):
        pass
    assert len(stack) == 1
    with pytest.raises(RuntimeError, match="without begin_macro"):
        stack.end_macro()


def test_macro_rolls_back_on_error() -> None:
    log: list = []
    stack = CommandStack()
    with pytest.raises(ValueError), stack.macro("Half"):
        stack.push(Append(log, 1))
        stack.push(Boom("boom"))
    assert log == [] and len(stack) == 0 and not stack.in_macro


def test_clean_index_through_undo_redo() -> None:
    log: list = []
    stack = CommandStack()
    changes: list[bool] = []
    stack.clean_changed.connect(changes.append)
    assert stack.is_clean
    stack.push(Append(log, 1))
    stack.set_clean()
    stack.push(Append(log, 2))
    stack.undo()
    stack.undo()
    stack.redo()
    assert changes == [False, True, False, True, False, True]
    stack.undo()
    stack.push(Append(log, 3))  # the save point is on the dropped branch: unreachable
    assert not stack.is_clean
    stack.undo()
    stack.redo()
    assert not stack.is_clean


def test_depth_limit_drops_oldest() -> None:
    log: list = []
    stack = CommandStack(limit=3)
    stack.push(Append(log, 0))
    stack.set_clean()
    for v in range(1, 6):
        stack.push(Append(log, v))
    assert len(stack) == 3
    while stack.undo():
        pass
    assert log == [0, 1, 2]  # only the last 3 steps can be undone
    assert not stack.is_clean  # the clean point fell off the end


def test_obsolete_merge_removes_the_step() -> None:
    class Toggle(Append):
        def merge_with(self, other: Command) -> bool:
            self.obsolete = True
            return True

    log: list = []
    stack = CommandStack()
    stack.push(Append(log, 0))
    stack.push(Toggle(log, 1, merge_id="t"))
    stack.push(Toggle(log, 1, merge_id="t"))
    assert len(stack) == 1 and stack.undo_text == "Append 0"


class Big(Append):
    """An edit that keeps ``size`` bytes alive for undo."""

    def __init__(self, log: list, value: object, size: int) -> None:
        super().__init__(log, value)
        self.size = size

    @property
    def nbytes(self) -> int:
        return self.size


def test_byte_limit_drops_the_oldest_steps_but_never_the_newest() -> None:
    log: list = []
    stack = CommandStack(byte_limit=100)
    stack.push(Append(log, "small"))  # 0 bytes
    stack.push(Big(log, "a", 60))
    stack.push(Big(log, "b", 30))
    assert len(stack) == 3  # 90 bytes fit
    stack.push(Big(log, "c", 50))  # 140: "small" (0 bytes) and "a" (60) go, oldest first
    assert [stack.command(i).text for i in range(len(stack))] == ["Append b", "Append c"]
    stack.push(Big(log, "huge", 500))  # alone over the limit: kept, everything older goes
    assert len(stack) == 1 and stack.undo() and log == ["small", "a", "b", "c"]
    macro_stack = CommandStack(byte_limit=100)
    with macro_stack.macro("two"):
        macro_stack.push(Big(log, "m1", 40))
        macro_stack.push(Big(log, "m2", 40))
    assert macro_stack.command(0).nbytes == 80
    unlimited = CommandStack(byte_limit=0)
    for k in range(5):
        unlimited.push(Big(log, k, 10**9))
    assert len(unlimited) == 5
