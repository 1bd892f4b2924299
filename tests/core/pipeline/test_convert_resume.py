"""Cancel and resume: a run aborted after K frames, then resume=True writes only the rest."""

from __future__ import annotations

from pathlib import Path

import pytest

from ultimate_roto.core.errors import Cancelled
from ultimate_roto.core.exporters.atomic import partial_path
from ultimate_roto.core.exporters.spec import ExportSpec
from ultimate_roto.core.pipeline import convert as convert_mod
from ultimate_roto.core.pipeline.convert import convert
from ultimate_roto.core.pipeline.state import STATE_DIR
from ultimate_roto.core.progress import Progress


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every frame file the pipeline writes, in completion order."""
    log: list[Path] = []
    real = convert_mod.write_frame

    def counting(export, path, *args, **kwargs) -> None:
        real(export, path, *args, **kwargs)
        log.append(path)

    monkeypatch.setattr(convert_mod, "write_frame", counting)
    return log


def _abort_after(k: int) -> Progress:
    holder: list[Progress] = []

    def on_report(fraction: float, message: str) -> None:
        if message == f"frame {k}/10":
            holder[0].abort()

    holder.append(Progress(on_report))
    return holder[0]


def _run(reader, tmp_path: Path, progress: Progress, **kw):
    spec = ExportSpec.from_dict({"path": "out/p.####.exr", "start_frame": 1001})
    return convert(reader, spec, tmp_path, range(1, 11), src_colorspace="Linear",
                   progress=progress, workers=2, **kw)  # fmt: skip


def test_cancel_then_resume_writes_only_the_rest(tmp_path, make_reader, writes) -> None:
    with pytest.raises(Cancelled):
        _run(make_reader(n=10), tmp_path, _abort_after(4))
    first = list(writes)
    assert 4 <= len(first) < 10  # at most the frames in flight finish after the cancel
    assert not [p for p in tmp_path.rglob("*") if ".partial" in p.name]
    state_files = list((tmp_path / STATE_DIR).glob("*.json"))
    assert len(state_files) == 1

    writes.clear()
    reader = make_reader(n=10)
    result = _run(reader, tmp_path, Progress(), resume=True)
    assert sorted(writes) == sorted(set(result.outputs) - set(first))
    assert set(result.skipped) == set(first) and len(result.written) == 10 - len(first)
    assert reader.reads == 10 - len(first)  # skipped frames are not even decoded
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        f"p.{n}.exr" for n in range(1001, 1011)
    ]


def test_resume_redoes_recorded_frames_whose_file_is_gone(tmp_path, make_reader, writes):
    _run(make_reader(n=10), tmp_path, Progress())
    (tmp_path / "out" / "p.1003.exr").unlink()
    writes.clear()
    result = _run(make_reader(n=10), tmp_path, Progress(), resume=True)
    assert writes == [tmp_path / "out" / "p.1003.exr"]
    assert len(result.skipped) == 9


def test_resume_of_a_finished_run_writes_nothing(tmp_path, make_reader, writes) -> None:
    _run(make_reader(n=10), tmp_path, Progress())
    writes.clear()
    reports: list[tuple[float, str]] = []
    result = _run(make_reader(n=10), tmp_path, Progress(lambda f, m: reports.append((f, m))),
                  resume=True)  # fmt: skip
    assert writes == [] and result.written == () and len(result.skipped) == 10
    assert reports == [(1.0, "all 10 frame(s) already written")]


def test_without_resume_everything_is_overwritten(tmp_path, make_reader, writes) -> None:
    _run(make_reader(n=10), tmp_path, Progress())
    writes.clear()
    result = _run(make_reader(n=10), tmp_path, Progress(), resume=False)
    assert len(writes) == 10 and result.skipped == ()


def test_changed_spec_does_not_resume_stale_frames(tmp_path, make_reader, writes) -> None:
    _run(make_reader(n=10), tmp_path, Progress())
    writes.clear()
    spec = ExportSpec.from_dict({"path": "out/p.####.exr", "start_frame": 1001,
                                 "compression": "piz"})  # fmt: skip
    convert(make_reader(n=10), spec, tmp_path, range(1, 11), src_colorspace="Linear",
            progress=Progress(), resume=True)  # fmt: skip
    assert len(writes) == 10


def test_stale_temp_from_a_killed_run_is_removed(tmp_path, make_reader) -> None:
    stale = partial_path(tmp_path / "out" / "p.1005.exr")
    stale.parent.mkdir()
    stale.write_bytes(b"half a frame")
    _run(make_reader(n=10), tmp_path, Progress(), resume=True)
    assert not stale.exists()


def test_corrupt_state_means_start_over(tmp_path, make_reader, writes) -> None:
    _run(make_reader(n=10), tmp_path, Progress())
    for f in (tmp_path / STATE_DIR).glob("*.json"):
        f.write_text("{not json")
    writes.clear()
    _run(make_reader(n=10), tmp_path, Progress(), resume=True)
    assert len(writes) == 10


def _video(reader, tmp_path: Path, progress: Progress, **kw):
    spec = ExportSpec.from_dict({"path": "v.mp4"})
    return convert(reader, spec, tmp_path, range(1, 11), src_colorspace="Rec709",
                   progress=progress, **kw)  # fmt: skip


def test_video_resume_reencodes_unless_complete(tmp_path, make_reader) -> None:
    with pytest.raises(Cancelled):
        _video(make_reader(n=10), tmp_path, _abort_after(4))
    assert not any(p.suffix == ".mp4" for p in tmp_path.iterdir())  # no half video anywhere
    reader = make_reader(n=10)
    result = _video(reader, tmp_path, Progress(), resume=True)
    assert reader.reads == 10 and result.written == (tmp_path / "v.mp4",)
    again = make_reader(n=10)
    result = _video(again, tmp_path, Progress(), resume=True)
    assert again.reads == 0 and result.skipped == (tmp_path / "v.mp4",)
