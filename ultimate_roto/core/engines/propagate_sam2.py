"""``propagate.sam2_video``: keyframe masks tracked through the shot with SAM 2.1's memory.

Frames are **streamed** one at a time into a ``Sam2VideoInferenceSession`` (created with
``dtype=torch.float32`` explicitly: the default string breaks streaming) and the model's
forward runs on each new frame — the per-frame step that ``propagate_in_video_iterator``
loops over. The iterator itself is not used because it walks frames already held in the
session (the whole shot in memory) and skips frame 0 when run backwards.

Session indices follow the walk (0, 1, 2 … in the order frames are visited), so a backward
run is a forward run in index space: memory frames and object pointers always come from the
frames visited just before, which is what SAM 2's reverse tracking does.

**Memory stays flat**: after each frame the session drops the pixels of every frame but the
current one and the per-frame outputs older than the memory window (``num_maskmem`` frames for
the memory bank, ``max_object_pointers_in_encoder`` for object pointers). Keyframe
(conditioning) outputs are kept — they are few and anchor the track. :attr:`session_stats`
reports the frames and tensor bytes held after each frame.

Keyframes met on the way re-anchor the track (their mask is added as a new input, exactly as
``Sam2VideoProcessor.add_inputs_to_inference_session`` does: resized to the model input and
thresholded). Per frame, ``confidence`` is the sigmoid of the object-score logit and
``occluded`` is set when that logit is negative (SAM 2 then predicts no object).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from ultimate_roto.core.engines import devices, models
from ultimate_roto.core.engines.base import (
    ProgressLike,
    PropagationInfo,
    check_frames,
    check_image,
    keyframe_mask,
    walk_frames,
)
from ultimate_roto.core.engines.registry import EngineSpec
from ultimate_roto.core.engines.segment_sam2 import SAM2_MODELS, _to_mask, pick_model

ENGINES = (
    EngineSpec(
        id="propagate.sam2_video",
        task="propagate",
        name="SAM 2.1 video tracking",
        description="Keyframe masks tracked with SAM 2.1's memory bank, streamed frame by frame",
        factory="ultimate_roto.core.engines.propagate_sam2:Sam2VideoPropagator",
        needs_gpu=False,
        weights=SAM2_MODELS,
        licence="Apache-2.0",
        check="ultimate_roto.core.engines.segment_sam2:availability",
        priority=30,
    ),
)
_OBJ = 1  # the single object id this engine tracks per run


class Sam2VideoPropagator:
    """The ``propagate.sam2_video`` engine.

    Parameters
    ----------
    device
        ``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"mps"``.
    model
        A SAM 2.1 model id or ``"auto"`` (smallest installed on CPU, largest on GPU).
    half
        fp16/bf16 autocast on CUDA.
    prune
        Drop old frames and outputs from the session (keep True; False is for measurements).

    Raises
    ------
    InputError
        Unknown model or not installed (the hint says how to install it), bad device.
    """

    def __init__(
        self, device: str = "auto", *, model: str = "auto", half: bool = True, prune: bool = True
    ) -> None:
        self.device, self.device_reason = devices.resolve_device(device)
        self.model_id = pick_model(model, SAM2_MODELS, self.device)
        models.require(self.model_id)
        self.half = half
        self.prune = prune
        self.session_stats: dict[str, int] = {}
        self._model: Any = None

    @property
    def model(self) -> Any:
        """The loaded ``Sam2VideoModel`` (loaded on first use)."""
        if self._model is None:
            from transformers import Sam2VideoModel

            self._model = models.load_pretrained(Sam2VideoModel, self.model_id, self.device)
        return self._model

    def propagate(
        self,
        get_frame: Callable[[int], np.ndarray],
        keyframes: dict[int, np.ndarray],
        frames: Sequence[int],
        *,
        progress: ProgressLike | None = None,
    ) -> Iterator[tuple[int, np.ndarray, PropagationInfo]]:
        """Yield ``(frame, mask, info)`` for ``frames`` (strictly ascending or descending).

        The run starts at ``frames[0]`` if it is a keyframe, else at the nearest keyframe
        before it in the direction of travel (frames in between are tracked, not yielded).

        Raises
        ------
        InputError
            No keyframes, frames not monotonic, no keyframe to start from, a keyframe mask of
            the wrong shape or empty, a frame that is not an RGB image.
        """
        import torch

        order = check_frames(frames)
        walk = walk_frames(keyframes, order)
        wanted = set(order)
        session: Any = None
        for i, n in enumerate(walk):
            if progress is not None:
                progress.check_aborted()
            image = check_image(get_frame(n), f"frame {n}")
            if session is None:
                session = self._new_session(*image.shape[:2])
            with torch.inference_mode(), devices.autocast(self.device, self.half):
                result, info = self._step(session, i, n, image, keyframes)
            if self.prune:
                _prune(session, i, self._window())
            self.session_stats = session_stats(session)
            if progress is not None:
                progress.report(
                    (i + 1) / len(walk), f"SAM 2 tracked frame {n} ({i + 1}/{len(walk)})"
                )
            if n in wanted:
                yield n, result, info
        devices.release_memory(self.device)

    def _new_session(self, height: int, width: int) -> Any:
        import torch
        from transformers import Sam2VideoInferenceSession

        dev = self.device
        return Sam2VideoInferenceSession(
            video_height=height,
            video_width=width,
            inference_device=dev,
            inference_state_device=dev,
            video_storage_device=dev,
            dtype=torch.float32,
        )

    def _step(
        self, session: Any, idx: int, n: int, image: np.ndarray, keyframes: dict[int, np.ndarray]
    ) -> tuple[np.ndarray, PropagationInfo]:
        s = int(self.model.config.image_size)
        h, w = image.shape[:2]
        key = None
        if n in keyframes:
            key = keyframe_mask(keyframes, n, (h, w))
            _add_mask(session, idx, key, s)
        pixels = devices.image_to_tensor(image, (s, s), self.device)
        out = self.model(session, frame=pixels, frame_idx=idx)
        if key is not None:
            return key, PropagationInfo(confidence=1.0, occluded=False)
        logit = float(out.object_score_logits.reshape(-1)[0])
        mask = _to_mask(out.pred_masks[0, 0].float().cpu().numpy(), h, w)
        confidence = 1.0 / (1.0 + np.exp(-np.clip(logit, -30.0, 30.0)))
        return mask, PropagationInfo(confidence=float(confidence), occluded=logit < 0.0)

    def _window(self) -> int:
        cfg = self.model.config
        return max(int(cfg.num_maskmem), int(cfg.max_object_pointers_in_encoder))


def _add_mask(session: Any, idx: int, mask: np.ndarray, size: int) -> None:
    """Add a keyframe mask as SAM2's processor does: model-size, antialiased, thresholded."""
    import torch
    import torch.nn.functional as F

    obj = session.obj_id_to_idx(_OBJ)
    t = torch.from_numpy(np.ascontiguousarray(mask, np.float32))[None, None].to(
        session.inference_device
    )
    if t.shape[-2:] != (size, size):
        t = F.interpolate(
            t, size=(size, size), mode="bilinear", align_corners=False, antialias=True
        )
    session.add_mask_inputs(obj, idx, (t >= 0.5).float())
    session.remove_point_inputs(obj, idx)
    session.obj_with_new_inputs = [_OBJ]


def _prune(session: Any, idx: int, window: int) -> None:
    """Forget frames and non-keyframe outputs the model can no longer use at index ``idx``."""
    for k in [k for k in session.processed_frames or {} if k != idx]:
        del session.processed_frames[k]
    oldest = idx - window
    for obj in session.output_dict_per_obj:
        non_cond = session.output_dict_per_obj[obj]["non_cond_frame_outputs"]
        for k in [k for k in non_cond if k < oldest]:
            del non_cond[k]
        tracked = session.frames_tracked_per_obj[obj]
        for k in [k for k in tracked if k < oldest]:
            del tracked[k]
        for k in [k for k in session.mask_inputs_per_obj[obj] if k < idx]:
            del session.mask_inputs_per_obj[obj][k]


def session_stats(session: Any) -> dict[str, int]:
    """Frames, per-frame outputs and tensor bytes a session holds (to check memory is flat)."""
    outputs = [
        out
        for per_obj in session.output_dict_per_obj.values()
        for kind in per_obj.values()
        for out in kind.values()
    ]
    frames = list((session.processed_frames or {}).values())
    nbytes = sum(_nbytes(v) for v in frames) + sum(_nbytes(o) for o in outputs)
    return {"frames": len(frames), "outputs": len(outputs), "tensor_bytes": nbytes}


def _nbytes(value: Any) -> int:
    if hasattr(value, "element_size") and hasattr(value, "nelement"):
        return int(value.element_size() * value.nelement())
    if isinstance(value, dict):
        return sum(_nbytes(v) for v in value.values())
    if isinstance(value, list | tuple):
        return sum(_nbytes(v) for v in value)
    return 0
