"""Video writer over PyAV: H.264/H.265, ProRes (prores_ks), DNxHR; renamed into place on close."""

from __future__ import annotations

import contextlib
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from ultimate_roto import SOFTWARE_NAME, __version__
from ultimate_roto.core.errors import OutputError
from ultimate_roto.core.exporters.atomic import discard, fsync_path, output_error, partial_path
from ultimate_roto.core.exporters.spec import (
    PROFILES,
    VIDEO_CODECS,
    X26X_PRESETS,
    as_fraction,
    default_pix_fmt,
)

ENCODERS = {"h264": "libx264", "h265": "libx265", "prores": "prores_ks", "dnxhr": "dnxhd"}
_CONTAINERS = {".mp4": "mp4", ".mov": "mov", ".mkv": "matroska"}
_PRORES_PROFILE = {"proxy": "0", "lt": "1", "standard": "2", "hq": "3", "4444": "4"}
_DNXHR_MIN = (256, 120)  # FFmpeg refuses smaller DNxHR frames
# colour tags: (primaries, transfer, matrix) as FFmpeg enum values; range is always limited (tv)
_TAGS = {"Rec709": (1, 1, 1), "sRGB": (1, 13, 1)}


class VideoWriter:
    """Encode float RGB frames to a video file; a context manager.

    The file is written under a hidden temp name (``.name.partial.mov``) and renamed to
    ``path`` only when :meth:`close` succeeds, so an interrupted encode never leaves a file
    that looks complete. Odd widths/heights (which 4:2:0/4:2:2 chroma cannot hold) are
    padded to even by repeating the last column/row when ``pad_odd`` is True (the default);
    with ``pad_odd=False`` they raise :class:`OutputError`.

    Parameters
    ----------
    path
        ``.mp4``, ``.mov`` or ``.mkv``.
    codec
        ``"h264"``, ``"h265"``, ``"prores"`` or ``"dnxhr"``.
    fps
        Exact frame rate (``Fraction(24000, 1001)``; floats like 23.976 are snapped).
    width, height
        Frame size in pixels.
    **opts
        ``profile`` (prores: proxy/lt/standard/hq/4444; dnxhr: lb/sq/hq/hqx/444), ``crf``
        (h264/h265, default 18), ``preset`` (default "fast"), ``bit_depth`` (h265: 8 or 10),
        ``pix_fmt`` (default per codec/profile), ``colorspace`` ("Rec709" or "sRGB" tags),
        ``pad_odd`` (bool), ``timecode`` ("HH:MM:SS:FF"), ``metadata`` (dict of strings).
    """

    def __init__(
        self, path: str | Path, codec: str, fps: Any, width: int, height: int, **opts: Any
    ) -> None:
        self.path = Path(path)
        self.codec = codec
        self.fps: Fraction = as_fraction(fps)
        self.width, self.height = int(width), int(height)
        self.frames_written = 0
        self._tmp = partial_path(self.path)
        self._check(opts)
        self.encoded_size = self._encoded_size(opts.get("pad_odd", True))
        self.pix_fmt = opts.get("pix_fmt") or default_pix_fmt(
            codec, self.profile, int(opts.get("bit_depth") or 8)
        )
        self._container = None
        self._open(opts)

    # -- setup -----------------------------------------------------------------------------------
    def _check(self, opts: dict[str, Any]) -> None:
        fmt = self.path.suffix.lower().lstrip(".")
        if fmt not in VIDEO_CODECS or self.codec not in VIDEO_CODECS[fmt]:
            allowed = VIDEO_CODECS.get(fmt, ())
            raise OutputError(
                f"cannot write {self.path}: codec {self.codec!r} does not go in a .{fmt} file",
                hint=f"use one of {', '.join(allowed)}" if allowed else "use .mp4, .mov or .mkv",
            )
        profiles = PROFILES.get(self.codec, ())
        self.profile = opts.get("profile") or {"prores": "hq", "dnxhr": "hq"}.get(self.codec)
        if profiles and self.profile not in profiles:
            raise OutputError(
                f"cannot write {self.path}: {self.profile!r} is not a {self.codec} profile",
                hint=f"use one of {', '.join(profiles)}",
            )
        if self.width <= 0 or self.height <= 0:
            raise OutputError(f"cannot write {self.path}: size {self.width}x{self.height}")
        if self.codec == "dnxhr" and (self.width < _DNXHR_MIN[0] or self.height < _DNXHR_MIN[1]):
            raise OutputError(
                f"cannot write {self.path}: DNxHR needs at least 256x120, got "
                f"{self.width}x{self.height}",
                hint="use ProRes or H.264 for small frames",
            )

    def _encoded_size(self, pad_odd: bool) -> tuple[int, int]:
        even = (self.width + self.width % 2, self.height + self.height % 2)
        if even != (self.width, self.height) and not pad_odd:
            raise OutputError(
                f"cannot write {self.path}: {self.width}x{self.height} has an odd side, which "
                f"{self.codec} chroma subsampling cannot encode",
                hint="crop or pad to even sizes, or allow padding (pad_odd=True)",
            )
        return even

    def _codec_options(self, opts: dict[str, Any]) -> dict[str, str]:
        if self.codec == "prores":
            return {"profile": _PRORES_PROFILE[self.profile], "vendor": "apl0"}
        if self.codec == "dnxhr":
            return {"profile": f"dnxhr_{self.profile}"}
        preset = opts.get("preset") or "fast"
        if preset not in X26X_PRESETS:
            raise OutputError(f"cannot write {self.path}: unknown preset {preset!r}")
        out = {"crf": str(int(opts.get("crf", 18) if opts.get("crf") is not None else 18)),
               "preset": preset}  # fmt: skip
        if self.codec == "h265":
            out["x265-params"] = "log-level=error"
        return out

    def _open(self, opts: dict[str, Any]) -> None:
        tags = _TAGS.get(opts.get("colorspace") or "Rec709", _TAGS["Rec709"])
        try:
            self._container = av.open(
                str(self._tmp), "w", format=_CONTAINERS[self.path.suffix.lower()]
            )
            meta = {"encoder": f"{SOFTWARE_NAME} {__version__}", **(opts.get("metadata") or {})}
            if opts.get("timecode"):
                meta["timecode"] = str(opts["timecode"])
            self._container.metadata.update({k: str(v) for k, v in meta.items()})
            stream = self._container.add_stream(ENCODERS[self.codec], rate=self.fps)
            stream.width, stream.height = self.encoded_size
            stream.pix_fmt = self.pix_fmt
            stream.time_base = 1 / self.fps
            cc = stream.codec_context
            cc.color_primaries, cc.color_trc, cc.colorspace = tags
            cc.color_range = 1  # limited ("tv") range
            stream.options = self._codec_options(opts)
            if self.codec == "h265" and self.path.suffix.lower() in (".mp4", ".mov"):
                cc.codec_tag = "hvc1"  # QuickTime plays hvc1-tagged HEVC only
            cc.open()
            self._stream = stream
        except Exception as exc:
            self._abandon()
            raise _encode_error(exc, self.path) from exc
        self._tags = tags

    # -- writing ---------------------------------------------------------------------------------
    def write(self, frame: np.ndarray) -> None:
        """Encode one float32 (H, W, 3 or 4) frame in [0, 1] (alpha is ignored)."""
        if self._container is None:
            raise OutputError(f"cannot write to {self.path}: the writer is closed")
        arr = np.asarray(frame)
        if arr.ndim != 3 or arr.shape[:2] != (self.height, self.width) or arr.shape[2] < 3:
            raise OutputError(
                f"{self.path}: frame {self.frames_written} has shape {arr.shape}, expected "
                f"({self.height}, {self.width}, 3)",
                hint="every frame of a video must have the same size",
            )
        rgb = self._pad(arr[:, :, :3])
        q = np.clip(np.rint(np.nan_to_num(rgb, nan=0.0) * 65535.0), 0, 65535).astype("<u2")
        vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(q), format="rgb48le")
        vf = vf.reformat(
            format=self.pix_fmt, dst_colorspace="itu709", dst_color_range="MPEG",
            dst_color_trc=self._tags[1], dst_color_primaries=self._tags[0],
        )  # fmt: skip
        vf.pts = self.frames_written
        try:
            self._mux(self._stream.encode(vf))
        except Exception as exc:
            raise _encode_error(exc, self.path) from exc
        self.frames_written += 1

    def _pad(self, rgb: np.ndarray) -> np.ndarray:
        pad_h, pad_w = self.encoded_size[1] - self.height, self.encoded_size[0] - self.width
        if pad_h or pad_w:
            rgb = np.pad(rgb, ((0, pad_h), (0, pad_w), (0, 0)), mode="edge")
        return rgb

    def _mux(self, packets: Any) -> None:
        for packet in packets:
            self._container.mux(packet)

    def close(self) -> Path:
        """Flush the encoder, finish the file and move it to ``path``.

        Raises
        ------
        OutputError
            Nothing was written, or flushing/renaming failed (the temp is removed).
        """
        if self._container is None:
            raise OutputError(f"{self.path}: the writer is already closed")
        try:
            if self.frames_written == 0:
                raise OutputError(f"{self.path}: no frames were written", hint="check the range")
            self._mux(self._stream.encode(None))
            self._container.close()
            self._container = None
            fsync_path(self._tmp)
            self._tmp.replace(self.path)
        except BaseException as exc:
            self._abandon()
            if isinstance(exc, Exception):
                raise _encode_error(exc, self.path) from exc
            raise
        return self.path

    def abort(self) -> None:
        """Stop without finishing: the temp file is deleted and ``path`` is left untouched."""
        self._abandon()

    def _abandon(self) -> None:
        container, self._container = self._container, None
        if container is not None:
            with contextlib.suppress(Exception):  # the encode is being thrown away anyway
                container.close()
        discard(self._tmp)

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def _encode_error(exc: BaseException, path: Path) -> OutputError:
    if isinstance(exc, OutputError):
        return exc
    err = output_error(exc, path)
    if "disk full" in err.message:
        return err
    return OutputError(
        f"encoding {path} failed: {exc}",
        hint="check the codec options (profile, pix_fmt, size) and free disk space",
    )
