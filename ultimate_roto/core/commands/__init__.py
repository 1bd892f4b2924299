"""Undoable edits: Command, MacroCommand, CommandStack and the document's edit commands."""

from ultimate_roto.core.commands.depth import ClearDepthCommand, SetDepthCommand
from ultimate_roto.core.commands.edits import (
    AddObjectCommand,
    AddPromptCommand,
    DeleteObjectCommand,
    DeletePromptCommand,
    MovePromptCommand,
    PaintMaskCommand,
    RemoveKeyframeCommand,
    RenameObjectCommand,
    SetEncodedMaskCommand,
    SetFrameFlagCommand,
    SetFrameRangeCommand,
    SetKeyframeCommand,
    SetMaskCommand,
    SetObjectPropertyCommand,
)
from ultimate_roto.core.commands.stack import Command, CommandStack, MacroCommand

__all__ = [
    "AddObjectCommand",
    "AddPromptCommand",
    "ClearDepthCommand",
    "Command",
    "CommandStack",
    "DeleteObjectCommand",
    "DeletePromptCommand",
    "MacroCommand",
    "MovePromptCommand",
    "PaintMaskCommand",
    "RemoveKeyframeCommand",
    "RenameObjectCommand",
    "SetDepthCommand",
    "SetEncodedMaskCommand",
    "SetFrameFlagCommand",
    "SetFrameRangeCommand",
    "SetKeyframeCommand",
    "SetMaskCommand",
    "SetObjectPropertyCommand",
]
