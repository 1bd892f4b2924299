"""``segment.sam2``: clicks and boxes → mask with SAM 2.1 (transformers ``Sam2Model``).

Pipeline for one frame:

1. **Embedding** — the frame is resized to the model's square input (1024×1024 for the
   released checkpoints; the aspect ratio is not kept), normalised with ImageNet mean/std by
   hand (the transformers fast processors need torchvision), and run through the image
   encoder once. The feature maps are cached in the ``"embedding"`` tier of a
   :class:`~ultimate_roto.core.cache.TieredCache` (key: media id, frame, model id, level)
   when a cache is given, else the last frame's embedding is kept, so every further click on
   the frame costs only the mask decoder (≈ 35 ms on CPU for hiera-tiny).
2. **Prompts** — click and box coordinates are scaled per axis (``x·S/W``, ``y·S/H``).
   A single click is ambiguous (shirt or person?): the decoder returns three masks and the
   one with the best predicted IoU wins. Several clicks and/or a box → one mask.
   Several boxes are decoded one by one and united (clicks inside a box go with that box).
3. **Upsampling** — ``pred_masks`` come out at 1/4 of the input size; the logits are resized
   bilinearly to the frame size and passed through a sigmoid (soft, anti-aliased edge).

On CUDA the encoder and decoder run under fp16/bf16 autocast; cached embeddings are float32.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from ultimate_roto.core.engines import devices, models
from ultimate_roto.core.engines.base import ProgressLike, Prompt, check_image
from ultimate_roto.core.engines.registry import EngineSpec
from ultimate_roto.core.errors import InputError

SAM2_MODELS = (
    "sam2.1-hiera-tiny",
    "sam2.1-hiera-small",
    "sam2.1-hiera-base-plus",
    "sam2.1-hiera-large",
)
ENGINES = (
    EngineSpec(
        id="segment.sam2",
        task="segment",
        name="SAM 2.1",
        description="Clicks and boxes to a mask with Segment Anything 2.1 (tiny … large)",
        factory="ultimate_roto.core.engines.segment_sam2:Sam2Segmenter",
        needs_gpu=False,
        weights=SAM2_MODELS,
        licence="Apache-2.0",
        check="ultimate_roto.core.engines.segment_sam2:availability",
        priority=30,
    ),
)


def availability() -> tuple[bool, str]:
    """``(ok, reason)``: some SAM 2.1 checkpoint is installed and transformers imports."""
    return any_model_available(SAM2_MODELS)


def any_model_available(ids: tuple[str, ...]) -> tuple[bool, str]:
    """``(ok, reason)`` for an engine that can use any of ``ids`` (and needs transformers)."""
    import importlib.util

    if importlib.util.find_spec("transformers") is None:
        return False, "transformers is not installed (pip install transformers)"
    found = [m for m in ids if models.locate(m) is not None]
    if found:
        return True, "weights found: " + ", ".join(found)
    return False, f"no weights for {', '.join(ids)}: {models.install_hint(ids[0])}"


def pick_model(model: str, ids: tuple[str, ...], device: Any) -> str:
    """Resolve ``"auto"``: the largest installed model on a GPU, the smallest on the CPU.

    Raises
    ------
    InputError
        An id that is not one of ``ids``, or ``"auto"`` with none installed.
    """
    if model != "auto":
        if model not in ids:
            raise InputError(f"model '{model}' is not one of {', '.join(ids)}", hint="or 'auto'")
        return model
    order = ids if getattr(device, "type", "cpu") == "cpu" else tuple(reversed(ids))
    for mid in order:
        if models.locate(mid) is not None:
            return mid
    raise InputError(f"no weights for {', '.join(ids)}", hint=models.install_hint(ids[0]))


class Sam2Segmenter:
    """The ``segment.sam2`` engine.

    Parameters
    ----------
    device
        ``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"mps"``.
    model
        A SAM 2.1 model id (:data:`SAM2_MODELS`) or ``"auto"``.
    cache
        Optional :class:`~ultimate_roto.core.cache.TieredCache` for image embeddings.
    media_id
        Identifies the shot in cache keys (needed for the cache to be used).
    half
        fp16/bf16 autocast on CUDA.

    Raises
    ------
    InputError
        Unknown model, model not installed (the hint says how to install it), bad device.
    """

    def __init__(
        self,
        device: str = "auto",
        *,
        model: str = "auto",
        cache: Any = None,
        media_id: str | None = None,
        half: bool = True,
    ) -> None:
        self.device, self.device_reason = devices.resolve_device(device)
        self.model_id = pick_model(model, SAM2_MODELS, self.device)
        models.require(self.model_id)
        self.cache = cache
        self.media_id = media_id
        self.half = half
        self.last_info: dict[str, Any] = {}
        self._model: Any = None
        self._memo: tuple[Any, list[Any]] | None = None

    @property
    def model(self) -> Any:
        """The loaded ``Sam2Model`` (loaded on first use)."""
        if self._model is None:
            from transformers import Sam2Model

            self._model = models.load_pretrained(Sam2Model, self.model_id, self.device)
        return self._model

    @property
    def input_size(self) -> int:
        """Side of the square model input (1024 for the released checkpoints)."""
        size = self.model.config.prompt_encoder_config.image_size
        return int(size[0] if isinstance(size, list | tuple) else size)

    def segment(
        self, image: np.ndarray, prompts: list[Prompt], *, progress: ProgressLike | None = None
    ) -> np.ndarray:
        """Mask of the object described by ``prompts`` (all on this frame).

        Parameters
        ----------
        image
            float32 ``(H, W, 3)`` RGB in [0, 1].
        prompts
            Clicks and/or boxes describing one object.
        progress
            Optional progress, checked between the encoder and the decoder.

        Returns
        -------
        numpy.ndarray
            float32 ``(H, W)`` in [0, 1].

        Raises
        ------
        InputError
            Bad image, no prompt, a prompt outside the image or with only text.
        """
        img = check_image(image)
        h, w = img.shape[:2]
        validate_prompts(prompts, w, h, "segment.sam2")
        embeddings = self.embed(img, prompts[0].frame)
        if progress is not None:
            progress.report(0.8, "SAM 2: decoding the prompt")
        logits = [self._decode(embeddings, q, w, h) for q in _queries(prompts)]
        out = np.max(np.stack(logits), axis=0) if len(logits) > 1 else logits[0]
        if progress is not None:
            progress.report(1.0, "SAM 2: done")
        return _to_mask(out, h, w)

    def embed(self, image: np.ndarray, frame: int | None = None) -> list[Any]:
        """The image encoder's feature maps for a frame (cached; see the module docstring)."""
        import torch

        if self.cache is not None and self.media_id is not None and frame is not None:
            from ultimate_roto.core.cache import CacheKey

            sizes = self.model.backbone_feature_sizes
            keys = [
                CacheKey(self.media_id, int(frame), "embedding", (self.model_id, "sam2", level))
                for level in range(len(sizes))
            ]
            cached = [self.cache.get(k) for k in keys]
            if all(c is not None for c in cached):
                self.last_info["embedding"] = "cache"
                return [torch.from_numpy(np.array(c)).to(self.device) for c in cached]
            feats = self._encode(image)
            for key, feat in zip(keys, feats, strict=True):
                self.cache.put(key, feat)
            return feats
        digest = hashlib.blake2b(np.ascontiguousarray(image).tobytes(), digest_size=16).digest()
        if self._memo is not None and self._memo[0] == digest:
            self.last_info["embedding"] = "memo"
            return self._memo[1]
        feats = self._encode(image)
        self._memo = (digest, feats)
        return feats

    def _encode(self, image: np.ndarray) -> list[Any]:
        import torch

        s = self.input_size
        pixels = devices.image_to_tensor(image, (s, s), self.device)
        with torch.inference_mode(), devices.autocast(self.device, self.half):
            feats = self.model.get_image_embeddings(pixels)
        self.last_info["embedding"] = "computed"
        return [f.float() for f in feats]

    def _decode(self, embeddings: list[Any], query: _Query, w: int, h: int) -> np.ndarray:
        import torch

        s = self.input_size
        kwargs = query.tensors(s / w, s / h, self.device)
        multimask = query.single_click
        with torch.inference_mode(), devices.autocast(self.device, self.half):
            out = self.model(image_embeddings=embeddings, multimask_output=multimask, **kwargs)
        masks = out.pred_masks[0, 0].float()  # (K, s/4, s/4) logits
        scores = out.iou_scores[0, 0].float()
        best = int(torch.argmax(scores)) if multimask else 0
        self.last_info.update(
            multimask=multimask, scores=scores.cpu().tolist(), chosen=best, model=self.model_id
        )
        return masks[best].cpu().numpy()


class _Query:
    """Points (+ at most one box) decoded together into one mask."""

    def __init__(self, points: list[tuple[float, float, int]], box: tuple | None) -> None:
        self.points = points
        self.box = box

    @property
    def single_click(self) -> bool:
        return len(self.points) == 1 and self.box is None

    def tensors(self, sx: float, sy: float, device: Any) -> dict[str, Any]:
        import torch

        out: dict[str, Any] = {}
        if self.points:
            pts = [[x * sx, y * sy] for x, y, _ in self.points]
            out["input_points"] = torch.tensor([[pts]], dtype=torch.float32, device=device)
            labels = [[[int(lab) for _, _, lab in self.points]]]
            out["input_labels"] = torch.tensor(labels, dtype=torch.int64, device=device)
        if self.box is not None:
            x0, y0, x1, y1 = self.box
            box = [[[x0 * sx, y0 * sy, x1 * sx, y1 * sy]]]
            out["input_boxes"] = torch.tensor(box, dtype=torch.float32, device=device)
        return out


def _queries(prompts: list[Prompt]) -> list[_Query]:
    points = [tuple(p) for pr in prompts for p in pr.points]
    boxes = [pr.box for pr in prompts if pr.box is not None]
    if len(boxes) <= 1:
        return [_Query(points, boxes[0] if boxes else None)]  # type: ignore[arg-type]
    inside = [[p for p in points if _in_box(p, b)] for b in boxes]
    loose = [p for p in points if not any(_in_box(p, b) for b in boxes)]
    return [_Query(pts + loose, b) for pts, b in zip(inside, boxes, strict=True)]


def _in_box(p: tuple, box: tuple) -> bool:
    return box[0] <= p[0] <= box[2] and box[1] <= p[1] <= box[3]


def validate_prompts(prompts: list[Prompt], w: int, h: int, engine: str) -> None:
    """Check prompts for a click/box engine.

    Raises
    ------
    InputError
        No prompts, prompts on different frames, a text-only prompt, or a prompt that fails
        :meth:`Prompt.validate`.
    """
    if not prompts:
        raise InputError(f"{engine}: no prompt given", hint="click on the object or draw a box")
    if len({p.frame for p in prompts}) > 1:
        raise InputError(
            f"{engine}: prompts are on frames {sorted({p.frame for p in prompts})}",
            hint="segment one frame at a time",
        )
    for p in prompts:
        p.validate(w, h)
        if not p.points and p.box is None:
            raise InputError(
                f"{engine}: {p.describe()} has only text",
                hint="click or draw a box, or use segment.sam3 for text prompts",
            )


def _to_mask(logits: np.ndarray, h: int, w: int) -> np.ndarray:
    import cv2

    up = cv2.resize(logits.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    return (1.0 / (1.0 + np.exp(-np.clip(up, -30.0, 30.0)))).astype(np.float32)


def tiny_config(image_size: int = 128) -> Any:
    """A tiny random ``Sam2VideoConfig`` (≈ 2.5 M parameters) for plumbing tests and benchmarks.

    It has the real architecture at a small scale (hidden sizes multiples of 64, no global
    attention block first in a stage, 64 memory channels, as SAM 2 video requires); its
    checkpoint loads into both ``Sam2VideoModel`` and ``Sam2Model``. Random weights give
    meaningless masks: use it to check shapes, coordinates, devices and memory only.
    """
    from transformers import Sam2VideoConfig

    s = int(image_size)
    hiera = dict(
        model_type="sam2_hiera_det_model", hidden_size=32, num_attention_heads=1,
        image_size=[s, s], blocks_per_stage=[1, 1, 2, 1], embed_dim_per_stage=[32, 64, 128, 256],
        num_attention_heads_per_stage=[1, 1, 1, 1], window_size_per_stage=[4, 4, 4, 4],
        global_attention_blocks=[3], window_positional_embedding_background_size=[4, 4],
    )  # fmt: skip
    vision = dict(
        backbone_config=hiera, backbone_channel_list=[256, 128, 64, 32], fpn_hidden_size=128,
        backbone_feature_sizes=[[s // 4, s // 4], [s // 8, s // 8], [s // 16, s // 16]],
    )  # fmt: skip
    return Sam2VideoConfig(
        vision_config=vision,
        prompt_encoder_config=dict(hidden_size=128, image_size=s),
        mask_decoder_config=dict(hidden_size=128, mlp_dim=256, num_attention_heads=2,
                                 iou_head_hidden_dim=64),  # fmt: skip
        image_size=s, memory_attention_hidden_size=128, memory_attention_num_layers=1,
        memory_attention_feed_forward_hidden_size=256,
        memory_attention_rope_feat_sizes=[s // 16, s // 16], memory_encoder_hidden_size=128,
        memory_encoder_output_channels=64, mask_downsampler_embed_dim=128,
        memory_fuser_embed_dim=128, memory_fuser_intermediate_dim=256, num_maskmem=3,
        max_object_pointers_in_encoder=4,
    )  # fmt: skip
