"""Export presets: every preset validates as job entries, folders prefix paths, bad names."""

from __future__ import annotations

import pytest

from ultimate_roto.core.errors import JobError
from ultimate_roto.core.exporters import presets
from ultimate_roto.core.exporters.spec import ExportSpec


@pytest.mark.parametrize("name", presets.names())
def test_every_preset_validates(name):
    spec = ExportSpec.from_dict({"preset": name.upper(), "folder": "deliver"}, "exports[0]")
    assert spec.is_preset and spec.path == name
    subs = spec.expand()
    assert subs and all(s.path.startswith("deliver/") for s in subs)
    assert presets.describe(name)


def test_dpx_log_preset_writes_cineon():
    (dpx,) = ExportSpec.from_dict({"preset": "DPX log"}).expand()
    assert dpx.options["encoding"] == "log" and dpx.output_colorspace("sRGB") == "Cineon"


def test_entries_are_copies():
    a = presets.entries("Flame")
    a[0]["path"] = "x"
    assert presets.entries("Flame")[0]["path"] != "x"


@pytest.mark.parametrize(
    ("entry", "match"),
    [({"preset": "Nuke EXR multi"}, "did you mean 'Nuke multi-layer EXR'"),
     ({"preset": "nothing like it"}, "not a preset"),
     ({"preset": "Flame", "path": "x.exr"}, "only preset and folder"),
     ({"preset": "Flame", "folder": 3}, "folder")],
)  # fmt: skip
def test_bad_presets(entry, match):
    with pytest.raises(JobError) as err:
        ExportSpec.from_dict(entry, "exports[1]")
    assert match in err.value.message + (err.value.hint or "")
