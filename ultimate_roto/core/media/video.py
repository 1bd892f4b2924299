"""Frame-exact random-access video reader over PyAV (MP4/MOV/MKV/AVI/WebM)."""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from ultimate_roto.core.errors import MediaError
from ultimate_roto.core.media.pixels import FLOAT32, compact_dtype, to_compact
from ultimate_roto.core.media.types import MediaInfo

VIDEO_EXTENSIONS = (".mp4", ".mov", ".mkv", ".avi", ".webm", ".m4v", ".mxf")

_STD_RATES = tuple(
    Fraction(r)
    for r in (
        Fraction(24000, 1001),
        Fraction(30000, 1001),
        Fraction(48000, 1001),
        Fraction(60000, 1001),
        Fraction(120000, 1001),
        *(8, 10, 12, 15, 24, 25, 30, 48, 50, 60, 72, 90, 96, 100, 120, 144, 240),
    )
)
# colour_trc codes (ISO/IEC 23091-2) -> our colour space names
_TRC_GUESS = {1: "Rec709", 6: "Rec709", 14: "Rec709", 15: "Rec709", 13: "sRGB", 8: "Linear"}
_FORWARD_DECODE_LIMIT = 12  # frames we would rather decode through than seek over
_VFR_PACKETS = 240


def exact_rate(rate: Fraction | float | None) -> Fraction:
    """Snap a measured frame rate to the standard rate it stands for (23.976 -> 24000/1001).

    Rates that are not within 0.02 % of a standard rate are returned as given (as a Fraction).
    """
    if not rate:
        return Fraction(0)
    rate = Fraction(rate).limit_denominator(1_000_000)
    for std in _STD_RATES:
        if abs(rate - std) / std < Fraction(2, 10000):
            return std
    return rate


@dataclass
class _Index:
    """Presentation timestamps of every frame, sorted, plus the keyframes among them."""

    pts: list[int]
    key_pts: list[int]
    damaged: str | None  # demuxer error that cut the index short, if any


def _open_container(path: Path) -> Any:
    import av

    try:
        container = av.open(str(path), mode="r")
    except (av.error.FFmpegError, OSError, UnicodeDecodeError) as err:
        raise MediaError(
            f"cannot open video {path}: {err}",
            hint="the file is not a video FFmpeg can read, or it is damaged/truncated; "
            "re-export it or check that the copy finished",
        ) from err
    if not container.streams.video:
        container.close()
        raise MediaError(
            f"no video stream in {path}", hint="pick a file that contains video (not audio only)"
        )
    return container


def _build_index(container: Any, stream: Any) -> _Index:
    """Demux every packet of ``stream`` once (no decoding) and collect timestamps."""
    import av

    pts: list[int] = []
    keys: set[int] = set()
    damaged = None
    try:
        for pkt in container.demux(stream):
            ts = pkt.pts if pkt.pts is not None else pkt.dts
            if ts is None or pkt.size == 0 or pkt.is_discard:
                continue
            pts.append(ts)
            if pkt.is_keyframe:
                keys.add(ts)
    except (av.error.FFmpegError, OSError) as err:
        damaged = str(err)
    pts.sort()
    return _Index(pts, sorted(keys), damaged)


def _detect_vfr(stream: Any, pts: list[int]) -> bool:
    deltas = np.diff(np.asarray(pts[:_VFR_PACKETS], dtype=np.int64))
    if deltas.size >= 2:
        mean = float(deltas.mean())
        # one tick of jitter is rounding (e.g. 41/42 ms for 23.976 in a 1/1000 time base)
        if mean > 0 and (deltas.max() - deltas.min()) > max(1.0, 0.1 * mean):
            return True
    guessed, average = stream.guessed_rate, stream.average_rate
    if guessed and average:
        return abs(float(guessed) - float(average)) / float(guessed) > 0.01
    return False


def _fps(stream: Any, pts: list[int], vfr: bool) -> Fraction:
    rate = stream.average_rate if vfr else (stream.guessed_rate or stream.average_rate)
    if not rate and len(pts) > 1:
        rate = (len(pts) - 1) / ((pts[-1] - pts[0]) * stream.time_base)
    return exact_rate(rate)


def _declared_frames(container: Any, stream: Any, fps: Fraction) -> int:
    """Frame count the headers promise (nb_frames, else duration x fps); 0 if unknown."""
    if stream.frames:
        return int(stream.frames)
    if stream.duration and stream.time_base:
        return round(stream.duration * stream.time_base * fps)
    if container.duration:  # microseconds
        return round(Fraction(container.duration, 1_000_000) * fps)
    return 0


def _timecode(container: Any, stream: Any) -> str | None:
    sources = [stream.metadata, container.metadata]
    sources += [s.metadata for s in container.streams if s.type == "data"]
    for meta in sources:
        for key, value in meta.items():
            if key.lower() == "timecode" and value:  # MKV writes TIMECODE
                return str(value).strip()
    return None


def _pix_format(stream: Any) -> tuple[int, bool]:
    """(bits per component, has alpha) of the decoder's pixel format."""
    import av

    name = stream.codec_context.pix_fmt
    if not name:
        return 8, False
    comps = av.VideoFormat(name).components
    bits = max(c.bits for c in comps if not c.is_alpha) if comps else 8
    return int(bits), any(c.is_alpha for c in comps)


def _colorspace_guess(stream: Any) -> str:
    trc = int(stream.codec_context.color_trc or 2)
    return _TRC_GUESS.get(trc, "Rec709")


class VideoReader:
    """Frame-exact random-access reader of one video file.

    At open, every packet is demuxed once (no decoding) to learn the pts of every frame, so
    ``read(n)`` is exact for any ``n``. Reading the frame after the last one read decodes
    forward without seeking (sequential playback); other frames seek to the nearest keyframe
    at or before them and decode forward. Thread-safe (one lock around decoding).
    ``read`` gives float32; ``read_compact`` the same frame as ``compact_dtype`` for display
    (uint8 straight from the decoder's RGB24/RGBA for 8-bit sources, float16 for deeper ones).

    Parameters
    ----------
    path
        The video file.

    Raises
    ------
    MediaError
        The file is missing, not a video, or has no readable frame.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._container = _open_container(self.path)
        try:
            self._stream = self._container.streams.video[0]
            self._index = _build_index(self._container, self._stream)
            if not self._index.pts:
                raise MediaError(
                    f"no readable video frame in {self.path}"
                    + (f" ({self._index.damaged})" if self._index.damaged else ""),
                    hint="the file is empty or damaged; re-export it",
                )
            self._stream.thread_type = "AUTO"
            self._bits, self._alpha = _pix_format(self._stream)
            self.info = self._make_info()
        except BaseException:
            self._container.close()
            raise
        self._pos_of = {p: i for i, p in enumerate(self._index.pts)}
        self._frames: Iterator[Any] | None = None
        self._last = -1  # index of the last frame the decoder returned
        self._closed = False
        self.seek_count = 0  # container seeks so far (sequential reads add none)
        self.compact_dtype = compact_dtype(self.info)  # of read_compact: uint8 or float16

    # -- info ------------------------------------------------------------------------------
    def _make_info(self) -> MediaInfo:
        s, idx = self._stream, self._index
        cc = s.codec_context
        vfr = _detect_vfr(s, idx.pts)
        fps = _fps(s, idx.pts, vfr)
        sar = s.sample_aspect_ratio or cc.sample_aspect_ratio
        extra = {"time_base": str(s.time_base), "pix_fmt": str(cc.pix_fmt)}
        declared = _declared_frames(self._container, s, fps)
        if declared > len(idx.pts):
            extra["declared_frames"] = str(declared)
        if idx.damaged:
            extra["damaged"] = idx.damaged
        n = len(idx.pts)
        return MediaInfo(
            path=str(self.path),
            kind="video",
            width=int(cc.width),
            height=int(cc.height),
            fps=fps,
            first_frame=0,
            last_frame=n - 1,
            frame_count=n,
            codec=str(cc.name),
            bit_depth=self._bits,
            channels=4 if self._alpha else 3,
            colorspace_guess=_colorspace_guess(s),
            pixel_aspect=float(sar) if sar else 1.0,
            timecode=_timecode(self._container, s),
            vfr=vfr,
            pixel_type="uint",
            extra=extra,
        )

    # -- reading ---------------------------------------------------------------------------
    def read(self, frame: int) -> np.ndarray:
        """Decode frame ``frame`` (0-based) to float32 (H, W, 3|4) in [0, 1].

        Raises
        ------
        MediaError
            Frame out of range, past a truncation, or undecodable.
        """
        return self._read(frame, FLOAT32)

    def read_compact(self, frame: int) -> np.ndarray:
        """Decode frame ``frame`` to ``compact_dtype`` (H, W, 3|4) for display: uint8 as the
        decoder's RGB24/RGBA for 8-bit sources, float16 from RGB48/RGBA64 for deeper ones
        (equal to :meth:`read` within 8-bit / half precision).

        Raises
        ------
        MediaError
            As :meth:`read`.
        """
        return self._read(frame, self.compact_dtype)

    def _read(self, frame: int, dtype: np.dtype) -> np.ndarray:
        with self._lock:
            if self._closed:
                raise MediaError(f"{self.path} is closed", hint="open the media again")
            self._check_range(frame)
            av_frame = self._decode(frame)
            return self._to_array(av_frame, frame, dtype)

    def _check_range(self, frame: int) -> None:
        n = len(self._index.pts)
        if 0 <= frame < n:
            return
        declared = int(self.info.extra.get("declared_frames", 0))
        if n <= frame < declared:
            raise MediaError(
                f"frame {frame} of {self.path} is past the end of the readable data "
                f"(header says {declared} frames, only {n} can be read)",
                hint="the file is truncated or damaged; re-copy or re-export it",
            )
        raise MediaError(
            f"frame {frame} is out of range for {self.path} (frames 0-{n - 1})",
            hint="video frames are numbered from 0",
        )

    def _decode(self, frame: int) -> Any:
        import av

        target = self._index.pts[frame]
        try:
            if not self._can_continue(frame):
                return self._seek_and_decode(frame, target)
            found = self._decode_forward(target)
            return found if found is not None else self._seek_and_decode(frame, target)
        except (av.error.FFmpegError, OSError) as err:
            self._frames = None
            raise MediaError(
                f"cannot decode frame {frame} of {self.path}: {err}",
                hint="the file is damaged or truncated around this frame; re-export it",
            ) from err

    def _can_continue(self, frame: int) -> bool:
        if self._frames is None or frame <= self._last:
            return False
        if frame - self._last <= _FORWARD_DECODE_LIMIT:
            return True
        return self._keyframe_at_or_before(frame) <= self._index.pts[self._last]

    def _keyframe_at_or_before(self, frame: int) -> int:
        keys = self._index.key_pts
        i = bisect.bisect_right(keys, self._index.pts[frame]) - 1
        return keys[max(i, 0)] if keys else self._index.pts[0]

    def _seek_and_decode(self, frame: int, target: int) -> Any:
        keys = self._index.key_pts or [self._index.pts[0]]
        k = max(bisect.bisect_right(keys, target) - 1, 0)
        # fall back to earlier keyframes if the seek lands after the target
        for attempt in dict.fromkeys((k, max(k - 1, 0), 0)):
            start = keys[attempt]
            self.seek_count += 1
            # demuxers seek by presentation time (mov, mkv); a landing after the target is
            # caught below and retried from an earlier keyframe
            self._container.seek(start, stream=self._stream, backward=True)
            self._frames = self._container.decode(self._stream)
            self._last = -1
            found = self._decode_forward(target)
            if found is not None:
                return found
        self._frames = None
        raise MediaError(
            f"frame {frame} of {self.path} could not be decoded (pts {target} never came out "
            "of the decoder)",
            hint="the file is damaged or truncated around this frame; re-export it",
        )

    def _decode_forward(self, target: int) -> Any | None:
        """Decode until the frame with pts ``target``; None if the decoder passed or ended."""
        assert self._frames is not None
        for av_frame in self._frames:
            pts = av_frame.pts
            if pts is None:
                continue
            self._last = self._pos_of.get(pts, self._last)
            if pts == target:
                return av_frame
            if pts > target:
                break
        self._frames = None
        return None

    def _to_array(self, av_frame: Any, frame: int, dtype: np.dtype = FLOAT32) -> np.ndarray:
        """The decoded frame as RGB(A) of ``dtype``: float32 (0..1), uint8 (8-bit sources) or
        float16 (the decoder asked for RGB24/RGBA or RGB48/RGBA64 directly)."""
        from av.video.reformatter import ColorRange, Colorspace

        deep = self._bits > 8
        fmt = ("rgba64le" if deep else "rgba") if self._alpha else ("rgb48le" if deep else "rgb24")
        cs = {1: Colorspace.ITU709, 5: Colorspace.ITU601, 6: Colorspace.ITU601}.get(
            int(av_frame.colorspace or 2),
            Colorspace.BT2020 if av_frame.colorspace in (9, 10) else None,
        )
        if cs is None:  # untagged: the usual convention by size
            cs = Colorspace.ITU709 if av_frame.height >= 720 else Colorspace.ITU601
        rng = int(av_frame.color_range or 0)
        arr = av_frame.to_ndarray(
            format=fmt,
            src_colorspace=cs,
            src_color_range=ColorRange(rng) if rng else None,
            dst_color_range=ColorRange.JPEG,
        )
        if arr.shape[:2] != (self.info.height, self.info.width):
            raise MediaError(
                f"frame {frame} of {self.path} is {arr.shape[1]}x{arr.shape[0]}, expected "
                f"{self.info.width}x{self.info.height}",
                hint="resolution changes mid-stream are not supported; re-export the clip",
            )
        if dtype != FLOAT32:
            return to_compact(arr, dtype)  # 8-bit: the decoder's array (copied if strided)
        scale = np.float32(1.0 / (65535.0 if deep else 255.0))
        return np.multiply(arr, scale, dtype=np.float32)  # one pass, C-contiguous

    # -- lifetime --------------------------------------------------------------------------
    def close(self) -> None:
        """Close the container (idempotent)."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._frames = None
                self._container.close()

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def probe_video(path: str | Path) -> MediaInfo:
    """MediaInfo of a video file (demuxes packets, decodes nothing)."""
    with VideoReader(path) as reader:
        return reader.info
