"""Flame hook: patterns, write → read constants, golden, the hook runs against a fake flame."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from ultimate_roto.core.errors import InputError, MediaError
from ultimate_roto.core.exporters import flame

DATA = Path(__file__).resolve().parents[2] / "data"
ARGS = dict(batch_name="shot_roto", start=1001, duration=5,
            plate="/shots/a/plate.[1001-1005].exr",
            mattes={"hero": "/out/hero/hero.[1001-1005].exr"})  # fmt: skip


@pytest.mark.parametrize(
    ("template", "expected"),
    [("a/p.####.exr", "a/p.[1001-1005].exr"), ("p.%06d.exr", "p.[001001-001005].exr"),
     ("p.{frame:04d}.exr", "p.[1001-1005].exr"), ("p.#.exr", "p.[1001-1005].exr")],
)  # fmt: skip
def test_flame_pattern(template, expected):
    assert flame.flame_pattern(template, 1001, 1005) == expected


def test_write_read_and_run_against_fake_flame(tmp_path, monkeypatch):
    path = flame.write_hook(tmp_path / "hook.py", **ARGS)
    assert flame.read_hook(path) == {k.upper() if k != "batch_name" else "BATCH_NAME": v
                                     for k, v in ARGS.items()}  # fmt: skip
    calls = []

    class Clip:
        name = ""

    batch = types.SimpleNamespace(
        create_batch_group=lambda *a, **k: calls.append(("group", a, k)),
        import_clip=lambda p, reel: calls.append(("import", p, reel)) or Clip(),
        organize=lambda: calls.append(("organize",)),
    )
    monkeypatch.setitem(sys.modules, "flame", types.SimpleNamespace(batch=batch))
    ns: dict = {}
    exec(compile(path.read_text(), str(path), "exec"), ns)  # noqa: S102 (our own output)
    menu = ns["get_main_menu_custom_ui_actions"]()
    menu[0]["actions"][0]["execute"](None)
    assert calls[0] == ("group", ("shot_roto",), {"start_frame": 1001, "duration": 5,
                                                 "reels": ["Plate", "Mattes"]})  # fmt: skip
    assert ("import", ARGS["plate"], "Plate") in calls
    assert ("import", ARGS["mattes"]["hero"], "Mattes") in calls and calls[-1] == ("organize",)


def test_golden_file():
    text = flame.write_to_string(**ARGS)
    golden = (DATA / "flame_hook_golden.py").read_text(encoding="utf-8")
    assert text.splitlines()[1:] == golden.splitlines()[1:]


def test_bad_input(tmp_path):
    with pytest.raises(InputError, match="no frame token"):
        flame.flame_pattern("plate.exr", 1, 2)
    with pytest.raises(InputError, match="duration"):
        flame.write_to_string(**{**ARGS, "duration": 0})
    (tmp_path / "bad.py").write_text("X = (\n")
    with pytest.raises(MediaError):
        flame.read_hook(tmp_path / "bad.py")
