"""Export kinds the engine steps produce ("mask", "matte", "depth") and the steps each needs.

The export routing (``core.pipeline.export_jobs``) writes these through the normal convert
pipeline, reading them from the job's stores (``core.pipeline.export_jobs.LayerReader``): "mask"
from the per-object ``MaskStore``, "matte" and "depth" from the ``LayerStore``. They are data,
never colour converted.

* ``mask``  — each object's mask (anti-aliased edge, 0..1) per frame; needs "segment" (with
  "propagate" every frame has one, else only the prompted frames do and the others are black).
* ``matte`` — the soft matte from "refine". There is no silent fallback to the mask: a job
  asking for mattes without a refine step is rejected before any work starts.
* ``depth`` — relative depth from "depth", normalised per shot to [0, 1] (robust 0.5/99.5
  percentiles over the shot, so every frame uses one scale): a 16-bit PNG/TIFF keeps it as
  is, a float EXR carries the same normalised values.
"""

from __future__ import annotations

from typing import Any

from ultimate_roto.core.errors import InputError
from ultimate_roto.core.exporters.spec import WhatKind, register_what

MATTE_FORMATS = ("exr", "png", "tiff", "dpx")
DEPTH_FORMATS = ("exr", "png", "tiff")

KINDS = (
    register_what(WhatKind("mask", MATTE_FORMATS, False, "each object's mask (needs segment)")),
    register_what(WhatKind("matte", MATTE_FORMATS, False, "each object's soft matte (refine)")),
    register_what(WhatKind("depth", DEPTH_FORMATS, False, "depth normalised per shot (depth)")),
)
#: The step that fills each kind.
PRODUCED_BY = {"mask": "segment", "matte": "refine", "depth": "depth"}
_PER_OBJECT = ("mask", "matte")
_OUR_STEPS = {"segment", "propagate", "refine", "depth"}


def check_exports(job: Any) -> list[str]:
    """Check that every mask/matte/depth export has the step that makes it.

    Returns
    -------
    list of str
        Notes for the log (e.g. masks only on prompted frames without "propagate").

    Raises
    ------
    InputError
        ``exports[i].what 'matte' needs the 'refine' step`` and the like; a per-object kind
        whose path has no ``{object}``.
    """
    notes: list[str] = []
    for i, export in enumerate(job.exports):
        what = export.what
        step = PRODUCED_BY.get(what)
        if step is None:
            continue
        where = f"exports[{i}].what"
        # a step from a plugin may fill the stores too: only judge jobs made of our steps
        if step not in job.steps and set(job.steps) <= _OUR_STEPS:
            hint = (
                f"add {step!r} to steps"
                + (" (after 'segment')" if step == "refine" else "")
                + (", or export 'mask' instead" if what == "matte" else "")
            )
            raise InputError(f"{where} {what!r} needs the {step!r} step", hint=hint)
        if what in _PER_OBJECT and "{object}" not in export.path:
            raise InputError(
                f"exports[{i}].path '{export.path}': a {what} is per object but the path has "
                "no {object}",
                hint="put {object} in the path, e.g. mattes/{object}.####.png",
            )
        if what == "mask" and "propagate" not in job.steps:
            notes.append(f"exports[{i}]: masks only on prompted frames (no 'propagate' step)")
    return notes
