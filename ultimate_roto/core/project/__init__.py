"""The project document with events, persistence, autosave/recovery and schema upgrades."""

from ultimate_roto.core.project.autosave import (
    Autosaver,
    RecoveryCandidate,
    autosave_path,
    find_recovery,
    remove_autosave,
)
from ultimate_roto.core.project.depth import DepthLayer, EncodedDepth
from ultimate_roto.core.project.document import Document, DocumentSnapshot, RemovedObject
from ultimate_roto.core.project.masks import BBox, EncodedMask, MaskStore
from ultimate_roto.core.project.model import FramePrompts, MaskOps, RotoObject, Shot
from ultimate_roto.core.project.persist import (
    SaveReport,
    load_project,
    save_project,
    sidecar_dir,
)
from ultimate_roto.core.project.schema import (
    SCHEMA_VERSION,
    UPGRADES,
    upgrade_v1_to_v2,
    upgrade_v2_to_v3,
)

__all__ = [
    "SCHEMA_VERSION",
    "UPGRADES",
    "Autosaver",
    "BBox",
    "DepthLayer",
    "Document",
    "DocumentSnapshot",
    "EncodedDepth",
    "EncodedMask",
    "FramePrompts",
    "MaskOps",
    "MaskStore",
    "RecoveryCandidate",
    "RemovedObject",
    "RotoObject",
    "SaveReport",
    "Shot",
    "autosave_path",
    "find_recovery",
    "load_project",
    "remove_autosave",
    "save_project",
    "sidecar_dir",
    "upgrade_v1_to_v2",
    "upgrade_v2_to_v3",
]
