"""Engine registry: registration, listing, "auto" resolution with its log line, bad ids."""

from __future__ import annotations

import pytest

from ultimate_roto.core.engines.registry import EngineSpec
from ultimate_roto.core.errors import InputError, ProcessingError


class _Fake:
    def __init__(self, device: str = "cpu", scale: float = 1.0) -> None:
        self.device = device
        self.scale = scale


def _spec(id_: str, priority: int, ok: bool = True, reason: str = "ok", **kw) -> EngineSpec:
    return EngineSpec(
        id=id_, task=id_.split(".")[0], name=id_, description="test engine", factory=_Fake,
        check=lambda: (ok, reason), priority=priority, **kw,
    )  # fmt: skip


def test_builtin_classic_segmenter_is_listed(clean_registry):
    ids = [s.id for s in clean_registry.list_engines("segment")]
    assert "segment.classic" in ids
    spec = clean_registry.get_spec("segment.classic")
    assert spec.task == "segment" and not spec.needs_gpu and spec.licence


def test_auto_picks_best_available_and_logs_why(clean_registry):
    clean_registry.register(_spec("depth.big", 100, ok=False, reason="no weights for x/big"))
    clean_registry.register(_spec("depth.small", 50))
    clean_registry.register(_spec("depth.tiny", 10))
    lines: list[str] = []
    spec = clean_registry.resolve("depth", "auto", log=lines.append)
    assert spec.id == "depth.small"
    assert lines == ["depth: auto → depth.small (depth.big unavailable: no weights for x/big)"]


def test_list_is_sorted_by_priority(clean_registry):
    clean_registry.register(_spec("upscale.b", 1))
    clean_registry.register(_spec("upscale.a", 9))
    assert [s.id for s in clean_registry.list_engines("upscale")][:2] == ["upscale.a", "upscale.b"]


def test_explicit_id_and_create_passes_device_and_options(clean_registry):
    clean_registry.register(_spec("upscale.fake", 1))
    spec = clean_registry.resolve("upscale", "upscale.fake", log=lambda _m: None)
    engine = clean_registry.create(spec, device="cuda:1", scale=2.0)
    assert isinstance(engine, _Fake) and engine.device == "cuda:1" and engine.scale == 2.0
    assert isinstance(clean_registry.create("upscale.fake"), _Fake)


def test_unknown_id_lists_valid_ids(clean_registry):
    with pytest.raises(InputError) as err:
        clean_registry.resolve("segment", "segment.nope")
    assert "segment.nope" in str(err.value) and "segment.classic" in err.value.hint


def test_wrong_task_and_unknown_task(clean_registry):
    with pytest.raises(InputError, match="does a 'segment' task"):
        clean_registry.resolve("depth", "segment.classic")
    with pytest.raises(InputError, match="unknown engine task 'paint'"):
        clean_registry.resolve("paint", "auto")


def test_explicit_unavailable_engine_raises_with_reason(clean_registry):
    clean_registry.register(_spec("refine.off", 1, ok=False, reason="package foo missing"))
    with pytest.raises(InputError, match="package foo missing"):
        clean_registry.resolve("refine", "refine.off")


def test_auto_with_nothing_available_raises(clean_registry):
    for s in clean_registry.list_engines("interpolate"):
        clean_registry.unregister(s.id)
    clean_registry.register(_spec("interpolate.x", 1, ok=False, reason="broken"))
    with pytest.raises(ProcessingError, match="interpolate.x unavailable: broken"):
        clean_registry.resolve("interpolate", "auto")


def test_failing_check_and_gpu_requirement_make_engine_unavailable(clean_registry, monkeypatch):
    def boom():
        raise RuntimeError("exploded")

    spec = EngineSpec("depth.boom", "depth", "b", "d", factory=_Fake, check=boom)
    assert spec.availability() == (False, "availability check failed: exploded")
    monkeypatch.setattr("ultimate_roto.core.engines.registry._gpu_available", lambda: False)
    gpu = EngineSpec("depth.gpu", "depth", "g", "d", factory=_Fake, needs_gpu=True)
    assert gpu.availability()[0] is False and "GPU" in gpu.availability()[1]


def test_bad_specs_are_rejected(clean_registry):
    with pytest.raises(InputError, match="unknown task"):
        EngineSpec("paint.x", "paint", "x", "d", factory="a:b")
    with pytest.raises(InputError, match="must start with 'segment.'"):
        EngineSpec("classic", "segment", "x", "d", factory="a:b")
    with pytest.raises(InputError, match="not 'module:attr'"):
        EngineSpec("segment.x", "segment", "x", "d", factory="nomodule")
    clean_registry.register(_spec("segment.dup", 1))
    with pytest.raises(InputError, match="already registered"):
        clean_registry.register(_spec("segment.dup", 2))


def test_unimportable_factory_is_a_processing_error(clean_registry):
    spec = EngineSpec("segment.ghost", "segment", "g", "d", factory="no_such_module_xyz:Engine")
    with pytest.raises(ProcessingError, match="cannot be loaded"):
        clean_registry.create(spec)


def test_entry_point_objects_are_accepted():
    from ultimate_roto.core.engines.registry import _as_specs

    spec = _spec("segment.plugin", 1)
    assert list(_as_specs(spec)) == [spec]
    assert list(_as_specs(lambda: [spec])) == [spec]
    with pytest.raises(TypeError):
        list(_as_specs(["not a spec"]))


def test_text_prompts_pick_an_engine_that_reads_text(clean_registry):
    clean_registry.register(_spec("segment.t_boxes", 90))
    clean_registry.register(_spec("segment.t_words", 50, reads_text=True))
    lines: list[str] = []
    assert clean_registry.resolve("segment", log=lines.append).id == "segment.t_boxes"
    spec = clean_registry.resolve("segment", log=lines.append, needs_text=True)
    assert spec.id == "segment.t_words" and "segment.t_boxes cannot read text" in lines[-1]
    with pytest.raises(InputError, match="cannot read text prompts") as err:
        clean_registry.resolve("segment", "segment.t_boxes", needs_text=True)
    assert "segment.t_words" in err.value.hint
