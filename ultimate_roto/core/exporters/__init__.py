"""Writers for every output format (one module each) and the ExportSpec they share.

Only light modules are re-exported here; the writers (``exr``, ``images``, ``video``) import
OpenEXR / OpenImageIO / PyAV and are imported where they are used.
"""

from ultimate_roto.core.exporters.naming import expand, validate_template
from ultimate_roto.core.exporters.spec import (
    FORMATS,
    WHAT_KINDS,
    ExportSpec,
    WhatKind,
    register_what,
)

__all__ = [
    "FORMATS",
    "WHAT_KINDS",
    "ExportSpec",
    "WhatKind",
    "expand",
    "register_what",
    "validate_template",
]
