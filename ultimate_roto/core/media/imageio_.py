"""Single-image decoders: EXR (OpenEXR), DPX/TIFF (OpenImageIO), PNG/JPG (OpenCV)."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from ultimate_roto.core.errors import MediaError
from ultimate_roto.core.media.pixels import FLOAT32, frame_dtype, to_compact
from ultimate_roto.core.media.timecode import format_timecode

EXR_EXTS = (".exr",)
OIIO_EXTS = (".dpx", ".tif", ".tiff")
CV_EXTS = (".png", ".jpg", ".jpeg")
IMAGE_EXTENSIONS = EXR_EXTS + OIIO_EXTS + CV_EXTS

_CODEC = {".exr": "exr", ".dpx": "dpx", ".tif": "tiff", ".tiff": "tiff", ".png": "png"}
_CODEC.update({".jpg": "jpeg", ".jpeg": "jpeg"})


@dataclass(frozen=True)
class ImageHeader:
    """What one image file's header says (no pixels decoded)."""

    width: int
    height: int
    channels: int  # 3 or 4 as delivered by read_image
    bit_depth: int
    pixel_type: str  # "uint" | "half" | "float"
    codec: str
    colorspace_guess: str
    fps: Fraction | None = None
    timecode: str | None = None
    pixel_aspect: float = 1.0
    extra: dict[str, str] = field(default_factory=dict)


def _corrupt(path: Path, err: object) -> MediaError:
    return MediaError(
        f"cannot decode image {path}: {err}",
        hint="the file is damaged or truncated; re-render or re-copy it",
    )


def _ext(path: Path) -> str:
    ext = path.suffix.lower()
    if ext not in IMAGE_EXTENSIONS:
        raise MediaError(
            f"unsupported image type {ext or '(none)'!r}: {path}",
            hint="supported image types: " + ", ".join(IMAGE_EXTENSIONS),
        )
    return ext


def probe_image(path: str | Path) -> ImageHeader:
    """Read the header of one image file.

    Raises
    ------
    MediaError
        Missing, unsupported or unreadable file.
    """
    path = Path(path)
    ext = _ext(path)
    if not path.is_file():
        raise MediaError(f"image file not found: {path}", hint="check the path and frame number")
    return _probe_exr(path) if ext in EXR_EXTS else _probe_oiio(path, ext)


def read_image(path: str | Path, dtype: np.dtype | type = np.float32) -> np.ndarray:
    """Decode one image to C-contiguous (H, W, 3|4) of ``dtype``.

    float32 (the default): integers scaled to [0, 1], floats as stored. uint8 or float16 (a
    compact display copy, see :mod:`~ultimate_roto.core.media.pixels`): each decoder is asked
    for that type directly where it can (OpenImageIO converts while reading; 8-bit PNG/JPG and
    half EXR channels are kept as decoded), so no float32 frame is made on the way.

    Raises
    ------
    MediaError
        Missing, unsupported, corrupt or truncated file.
    InputError
        A ``dtype`` other than float32, uint8 or float16.
    """
    path = Path(path)
    ext = _ext(path)
    target = frame_dtype(dtype)
    if not path.is_file():
        raise MediaError(f"image file not found: {path}", hint="check the path and frame number")
    if ext in EXR_EXTS:
        img = _read_exr(path, target)
    elif ext in CV_EXTS:
        img = _read_cv(path, target)
    else:
        img = _read_oiio(path, target)
    return to_compact(img, target)


# -- EXR -------------------------------------------------------------------------------------
def _exr_channel_names(names: list[str]) -> list[str]:
    """Pick R,G,B(,A) by name; without RGB, one grey channel (Y or the first)."""
    if all(c in names for c in "RGB"):
        return ["R", "G", "B"] + (["A"] if "A" in names else [])
    grey = "Y" if "Y" in names else sorted(names)[0]
    return [grey] + (["A"] if "A" in names and grey != "A" else [])


def _exr_timecode(value: object) -> str | None:
    """``timeCode`` attribute (an OpenEXR.TimeCode, or a tuple h, m, s, f, drop, ...)."""
    try:
        if hasattr(value, "hours"):
            fields = ("hours", "minutes", "seconds", "frame", "dropFrame")
            h, m, s, f, drop = (int(getattr(value, a)) for a in fields)
        else:
            h, m, s, f, drop = (int(v) for v in list(value)[:5])  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None
    return format_timecode(h, m, s, f, bool(drop))


def _exr_channel_format(path: Path, name: str) -> str:
    """Pixel type of one EXR channel ("half", "float", "uint").

    The OpenEXR binding reports no pixel type without decoding, so the header is read again
    by OpenImageIO (cheap: header only).
    """
    inp = _oiio_open(path)
    try:
        spec = inp.spec()
        formats = list(spec.channelformats) or [spec.format] * spec.nchannels
        fmt = dict(zip(spec.channelnames, formats, strict=False)).get(name, spec.format)
    finally:
        inp.close()
    return {"uint32": "uint", "half": "half"}.get(str(fmt), "float")


def _probe_exr(path: Path) -> ImageHeader:
    import OpenEXR

    try:
        with OpenEXR.File(str(path), header_only=True) as f:
            header = dict(f.header())  # the File's dict is emptied on close
    except Exception as err:  # OpenEXR raises plain RuntimeError/ValueError
        raise _corrupt(path, err) from err
    (x0, y0), (x1, y1) = header["displayWindow"]
    chans = {c.name: c for c in header["channels"]}
    picked = _exr_channel_names(list(chans))
    ptype = _exr_channel_format(path, picked[0])
    pixel_type, bits = {"half": ("half", 16), "uint": ("uint", 32)}.get(ptype, ("float", 32))
    fps = header.get("framesPerSecond")
    extra = {"channels": ",".join(sorted(chans))}
    return ImageHeader(
        width=int(x1 - x0 + 1),
        height=int(y1 - y0 + 1),
        channels=4 if "A" in picked else 3,
        bit_depth=bits,
        pixel_type=pixel_type,
        codec="exr",
        colorspace_guess="Linear",
        fps=Fraction(fps) if fps else None,
        timecode=_exr_timecode(header["timeCode"]) if "timeCode" in header else None,
        pixel_aspect=float(header.get("pixelAspectRatio", 1.0)),
        extra=extra,
    )


def _read_exr(path: Path, dtype: np.dtype = FLOAT32) -> np.ndarray:
    """EXR pixels as float32 (as stored), or for a compact ``dtype``: half channels kept as
    stored, float/uint channels rounded to half (see ``pixels.to_compact``)."""
    import OpenEXR

    def plane(pixels: np.ndarray) -> np.ndarray:
        if dtype == FLOAT32 or pixels.dtype == np.uint32:
            return pixels.astype(np.float32)  # uint channels as stored (not normalised)
        return pixels if pixels.dtype == np.float16 else to_compact(pixels, np.float16)

    try:
        with OpenEXR.File(str(path), separate_channels=True) as f:
            header = dict(f.header())  # the File's dict is emptied on close
            chans = f.channels()
            picked = _exr_channel_names(list(chans))
            planes = [plane(chans[n].pixels) for n in picked]
    except Exception as err:
        raise _corrupt(path, err) from err
    if len(picked) < 3:  # grey (+ alpha) -> RGB(A)
        planes = [planes[0]] * 3 + planes[1:]
    kinds = {p.dtype for p in planes}
    if len(kinds) > 1:  # e.g. half RGB with a float alpha
        planes = [to_compact(p, np.float16 if dtype != FLOAT32 else FLOAT32) for p in planes]
    img = np.stack(planes, axis=-1)
    return _to_display_window(img, header)


def _to_display_window(img: np.ndarray, header: dict) -> np.ndarray:
    """Place the data window inside the display window (zeros outside)."""
    (dx0, dy0), (dx1, dy1) = header["dataWindow"]
    (wx0, wy0), (wx1, wy1) = header["displayWindow"]
    if (dx0, dy0, dx1, dy1) == (wx0, wy0, wx1, wy1):
        return img
    out = np.zeros((wy1 - wy0 + 1, wx1 - wx0 + 1, img.shape[2]), img.dtype)
    ox0, oy0 = max(dx0, wx0), max(dy0, wy0)
    ox1, oy1 = min(dx1, wx1), min(dy1, wy1)
    if ox1 >= ox0 and oy1 >= oy0:
        out[oy0 - wy0 : oy1 - wy0 + 1, ox0 - wx0 : ox1 - wx0 + 1] = img[
            oy0 - dy0 : oy1 - dy0 + 1, ox0 - dx0 : ox1 - dx0 + 1
        ]
    return out


# -- OpenImageIO (DPX, TIFF; also headers of PNG/JPG) ----------------------------------------
def _oiio_open(path: Path):  # noqa: ANN202 - returns an OpenImageIO.ImageInput
    import OpenImageIO as oiio

    inp = oiio.ImageInput.open(str(path))
    if inp is None:
        raise _corrupt(path, oiio.geterror() or "OpenImageIO could not open it")
    return inp


def _oiio_channels(names: tuple[str, ...]) -> list[int]:
    upper = [n.upper() for n in names]
    rgb = all(c in upper for c in "RGB")
    idx = [upper.index(c) for c in "RGB"] if rgb else [0, 0, 0]
    if "A" in upper:
        idx.append(upper.index("A"))
    elif len(names) in (2, 4) and idx == [0, 0, 0]:
        idx.append(len(names) - 1)  # grey + alpha
    return idx


def _probe_oiio(path: Path, ext: str) -> ImageHeader:
    inp = _oiio_open(path)
    try:
        spec = inp.spec()
    finally:
        inp.close()
    fmt = str(spec.format)
    bits = int(spec.get_int_attribute("oiio:BitsPerSample", 0)) or {
        "uint8": 8,
        "uint16": 16,
        "half": 16,
    }.get(fmt, 32)
    pixel_type = "half" if fmt == "half" else "float" if fmt in ("float", "double") else "uint"
    return ImageHeader(
        width=spec.width,
        height=spec.height,
        channels=len(_oiio_channels(tuple(spec.channelnames))),
        bit_depth=bits,
        pixel_type=pixel_type,
        codec=_CODEC[ext],
        colorspace_guess=_guess_oiio_colorspace(spec, ext, pixel_type),
        fps=_oiio_fps(spec),
        timecode=spec.get_string_attribute("dpx:TimeCode") or None,
        pixel_aspect=float(spec.get_float_attribute("PixelAspectRatio", 1.0)) or 1.0,
        extra={"transfer": spec.get_string_attribute("dpx:Transfer")} if ext == ".dpx" else {},
    )


def _oiio_fps(spec: object) -> Fraction | None:
    from ultimate_roto.core.media.video import exact_rate

    rate = spec.get_float_attribute("dpx:FrameRate", 0.0)  # type: ignore[attr-defined]
    if not rate or rate != rate or rate <= 0:  # NaN or absent
        return None
    return exact_rate(Fraction(rate).limit_denominator(10000))


def _guess_oiio_colorspace(spec: object, ext: str, pixel_type: str) -> str:
    if pixel_type != "uint":
        return "Linear"
    if ext == ".dpx":
        transfer = spec.get_string_attribute("dpx:Transfer").lower()  # type: ignore[attr-defined]
        cs = spec.get_string_attribute("oiio:ColorSpace").lower()  # type: ignore[attr-defined]
        if "log" in transfer or "log" in cs:
            return "Cineon"
        if "linear" in transfer:
            return "Linear"
        return "Rec709"
    return "sRGB"


def _read_oiio(path: Path, dtype: np.dtype = FLOAT32) -> np.ndarray:
    """DPX/TIFF pixels, converted by OpenImageIO while reading: float32 0..1 ("float"), or
    uint8 for 8-bit files / float16 ("half") for deeper ones when ``dtype`` is compact."""
    inp = _oiio_open(path)
    try:
        spec = inp.spec()
        fmt = "float"
        if dtype != FLOAT32:
            fmt = "uint8" if str(spec.format) == "uint8" else "half"
        pixels = inp.read_image(format=fmt)
    finally:
        inp.close()
    if pixels is None or getattr(pixels, "size", 0) == 0:
        import OpenImageIO as oiio

        raise _corrupt(path, oiio.geterror() or "no pixels")
    kind = {"float": np.float32, "uint8": np.uint8, "half": np.float16}[fmt]
    pixels = np.asarray(pixels, dtype=kind).reshape(spec.height, spec.width, -1)
    return pixels[..., _oiio_channels(tuple(spec.channelnames))]


# -- OpenCV (PNG, JPG) -----------------------------------------------------------------------
def _read_cv(path: Path, dtype: np.dtype = FLOAT32) -> np.ndarray:
    """PNG/JPG pixels as float32 0..1, or as decoded (uint8 / uint16, RGB order) for a
    compact ``dtype`` (``read_image`` converts uint16 to float16)."""
    import cv2

    data = np.fromfile(str(path), dtype=np.uint8)  # works with non-ASCII paths on Windows
    img = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
    if img is None:
        raise _corrupt(path, "OpenCV could not decode it")
    scale = 1.0 / 65535.0 if img.dtype == np.uint16 else 1.0 / 255.0
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    elif img.shape[2] == 3:
        img = img[..., ::-1]
    elif img.shape[2] == 4:
        img = img[..., [2, 1, 0, 3]]
    else:  # grey + alpha
        img = img[..., [0, 0, 0, 1]]
    if dtype != FLOAT32:
        return img
    return img.astype(np.float32) * np.float32(scale)
