"""Qt-free interaction tools: generators fed with pointer events that push commands."""

from ultimate_roto.core.tools.base import (
    Tool,
    ToolContext,
    ToolDriver,
    ToolEvent,
    move,
    press,
    release,
    run_tool,
)
from ultimate_roto.core.tools.brush import BrushTool, EraserTool, stamp_disc, stamp_segment
from ultimate_roto.core.tools.pick import pick_object, shown_coverage
from ultimate_roto.core.tools.prompt_tools import BoxPromptTool, MoveTool, PointPromptTool
from ultimate_roto.core.tools.transform import MoveMaskTool, RotateTool, ScaleTool

__all__ = [
    "BoxPromptTool",
    "BrushTool",
    "EraserTool",
    "MoveMaskTool",
    "MoveTool",
    "PointPromptTool",
    "RotateTool",
    "ScaleTool",
    "Tool",
    "ToolContext",
    "ToolDriver",
    "ToolEvent",
    "move",
    "pick_object",
    "press",
    "release",
    "run_tool",
    "shown_coverage",
    "stamp_disc",
    "stamp_segment",
]
