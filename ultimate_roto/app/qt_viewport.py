"""OpenGL viewport: 8-bit, half and float textures; display shader (exposure, OCIO LUT, gamma)."""

from __future__ import annotations

import ctypes
import logging
import os

import numpy as np
from OpenGL import GL
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPainter, QSurfaceFormat
from PySide6.QtOpenGLWidgets import QOpenGLWidget
from PySide6.QtWidgets import QWidget

from ultimate_roto import paths
from ultimate_roto.app.display_cpu import (
    DEPTH_FAR,
    DEPTH_NEAR,
    MATTE,
    SRGB_PATH,
    DisplayRoute,
    display_route,
)
from ultimate_roto.app.qt_viewport_base import ViewportMixin

log = logging.getLogger(__name__)

BACKGROUND = (24 / 255, 24 / 255, 26 / 255)


def gl_surface_format() -> QSurfaceFormat:
    """OpenGL 3.3 core profile, no multisampling (pixels must stay exact)."""
    fmt = QSurfaceFormat()
    fmt.setVersion(3, 3)
    fmt.setProfile(QSurfaceFormat.OpenGLContextProfile.CoreProfile)
    fmt.setDepthBufferSize(0)
    fmt.setSamples(0)
    return fmt


def load_shader_sources() -> tuple[str, str]:
    """Vertex and fragment sources of the display shader, from ``paths.shaders_dir()``."""
    folder = paths.shaders_dir()
    return (folder / "display.vert").read_text(), (folder / "display.frag").read_text()


def with_defines(source: str, defines: tuple[str, ...]) -> str:
    """``source`` with ``#define NAME`` lines after its ``#version`` line."""
    head, _, body = source.partition("\n")
    return "\n".join([head, *(f"#define {name}" for name in defines), body])


#: How float32 frames reach the texture (benchmarks/bench_viewport.py, llvmpipe, cached 1080p
#: RGB): "float" RGB32F from the float32 frame as read: 29 ms, 35 fps scrub (default);
#: "half" RGB16F from a numpy float16 copy: 51 ms (the CPU conversion costs more than it
#: saves); "half-driver" RGB16F from float32 data (the driver converts);
#: the former RGBA32F with an alpha concatenated per frame: 44 ms, 23 fps.
#: Compact frames go as they are: uint8 as RGB(A)8 / UNSIGNED_BYTE (sampled as v / 255),
#: float16 as RGB(A)16F / HALF_FLOAT.
UPLOAD = os.environ.get("ULTIMATE_ROTO_VIEWPORT_UPLOAD", "float")


def upload_format(frame: np.ndarray) -> tuple[int, int, int, np.ndarray]:
    """(internal format, format, type, data) for a uint8, float16 or float32 (H, W, 3|4)
    frame. Rows of RGB uint8 need GL_UNPACK_ALIGNMENT 1 unless 3 * width is a multiple of 4
    (``_upload`` sets it)."""
    rgb = frame.shape[2] == 3
    fmt = GL.GL_RGB if rgb else GL.GL_RGBA
    if frame.dtype == np.uint8:
        return (GL.GL_RGB8 if rgb else GL.GL_RGBA8), fmt, GL.GL_UNSIGNED_BYTE, frame
    if frame.dtype == np.float16:
        return (GL.GL_RGB16F if rgb else GL.GL_RGBA16F), fmt, GL.GL_HALF_FLOAT, frame
    if UPLOAD in ("half", "half-driver"):
        internal = GL.GL_RGB16F if rgb else GL.GL_RGBA16F
        if UPLOAD == "half-driver":
            return internal, fmt, GL.GL_FLOAT, frame
        return internal, fmt, GL.GL_HALF_FLOAT, frame.astype(np.float16)
    return (GL.GL_RGB32F if rgb else GL.GL_RGBA32F), fmt, GL.GL_FLOAT, frame


#: GL texture objects: the frame, the mask, the OCIO display LUT (3D), the depth map, and for
#: exposure on display-encoded sources the LUT of their linear equivalent (3D, bound to the
#: "lut" unit instead) and their decode table (see display_cpu.display_route).
TEXTURES = ("image", "mask", "lut", "depth", "lut_linear", "decode")
#: Texture units of the shader's samplers.
UNITS = {"image": 0, "mask": 1, "lut": 2, "depth": 3, "decode": 4}


class QtViewport(ViewportMixin, QOpenGLWidget):
    """The main image viewer. ``set_frame`` stores data; GL work happens only in paintGL."""

    pixel_hovered = Signal(int, int, float, float, float, float)
    view_changed = Signal(float)
    frame_presented = Signal()  # a new frame was drawn (paintGL; playback's actual fps)
    image_pressed = Signal(float, float, int, int)
    image_dragged = Signal(float, float, int, int)
    image_released = Signal(float, float, int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFormat(gl_surface_format())
        self._init_viewport()
        self._gl: dict[str, int] = {}
        self._tex_key: tuple | None = None
        self._mask_key: tuple | None = None
        self._depth_key: tuple | None = None
        self.lut_uploads = 0  # 3D LUT uploads (once per view change, never per frame)
        self.texture_allocations = 0  # glTexImage2D calls for the image (tests check reuse)
        self.uploads = 0  # image uploads (tests check that an unchanged frame is not re-sent)
        self.contexts_initialised = 0
        self.contexts_freed = 0  # aboutToBeDestroyed -> _free_gl calls (one per dead context)
        self._programs: dict[tuple[str, ...], int] = {}  # display shader per feature set
        self.program_builds = 0  # display programs compiled (once per feature set and context)
        self.gl_error: str | None = None

    # -- GL lifecycle ----------------------------------------------------------------------
    def initializeGL(self) -> None:  # noqa: N802
        self.contexts_initialised += 1
        self._programs = {}  # a new context: programs of an older one are gone
        try:
            self._gl["program"] = self._program(self._features())
        except RuntimeError as exc:
            self.gl_error = str(exc)
            log.error("viewport shader: %s", exc)
            return
        self._gl["vao"] = int(GL.glGenVertexArrays(1))
        self._gl["vbo"] = int(GL.glGenBuffers(1))
        GL.glBindVertexArray(self._gl["vao"])
        GL.glBindBuffer(GL.GL_ARRAY_BUFFER, self._gl["vbo"])
        GL.glBufferData(GL.GL_ARRAY_BUFFER, 16 * 4, None, GL.GL_DYNAMIC_DRAW)
        GL.glEnableVertexAttribArray(0)
        GL.glVertexAttribPointer(0, 2, GL.GL_FLOAT, False, 16, ctypes.c_void_p(0))
        GL.glEnableVertexAttribArray(1)
        GL.glVertexAttribPointer(1, 2, GL.GL_FLOAT, False, 16, ctypes.c_void_p(8))
        GL.glBindVertexArray(0)
        names = [int(t) for t in GL.glGenTextures(len(TEXTURES))]
        self._gl.update(zip(TEXTURES, names, strict=True))
        self._tex_key = self._mask_key = self._depth_key = None
        self._frame_dirty = self._mask_dirty = self._lut_dirty = self._depth_dirty = True
        self.context().aboutToBeDestroyed.connect(self._free_gl, Qt.ConnectionType.DirectConnection)

    def _features(self) -> tuple[str, ...]:
        """The shader features the current settings use (see shaders/display.frag)."""
        s = self.settings
        if s.channel_index == MATTE:
            return ("MATTE",)  # the object's mask alone: no transform, no overlays
        route = display_route(s, self.lut)
        lut = route.lut
        wanted = {
            "DECODE": route.decode is not None,
            "DECODE_SRGB": route.curve == "sRGB",
            "DECODE_REC709": route.curve == "Rec709",
            "DECODE_CINEON": route.curve == "Cineon",
            "USE_LUT": lut is not None,
            "LOG_SHAPER": lut is not None and lut.shaper is not None,
            "LINEAR": route.encode,
            "CHANNEL": s.channel_index != 0,
            "GAMMA": s.gamma != 1.0,
            "DEPTH": s.depth_visible and self.depth is not None,
            "OVERLAY": s.overlay_visible and self.mask is not None,
        }
        return tuple(name for name, on in wanted.items() if on)

    def _program(self, features: tuple[str, ...]) -> int:
        """The display program for ``features``, compiled on first use (GL context current)."""
        program = self._programs.get(features)
        if program is None:
            program = self._programs[features] = self._build_program(features)
            self.program_builds += 1
            self._gl[f"program:{','.join(features)}"] = program
        return program

    def _build_program(self, features: tuple[str, ...] = ()) -> int:
        vert_src, frag_src = load_shader_sources()
        frag_src = with_defines(frag_src, features)
        program = GL.glCreateProgram()
        for kind, src in ((GL.GL_VERTEX_SHADER, vert_src), (GL.GL_FRAGMENT_SHADER, frag_src)):
            shader = GL.glCreateShader(kind)
            GL.glShaderSource(shader, src)
            GL.glCompileShader(shader)
            if not GL.glGetShaderiv(shader, GL.GL_COMPILE_STATUS):
                raise RuntimeError(GL.glGetShaderInfoLog(shader).decode(errors="replace"))
            GL.glAttachShader(program, shader)
            GL.glDeleteShader(shader)
        GL.glLinkProgram(program)
        if not GL.glGetProgramiv(program, GL.GL_LINK_STATUS):
            raise RuntimeError(GL.glGetProgramInfoLog(program).decode(errors="replace"))
        return int(program)

    def _free_gl(self) -> None:
        """Release GL objects of the dying context (re-docking creates a new one)."""
        self.contexts_freed += 1
        if not self._gl:
            return
        self.makeCurrent()
        textures = [self._gl[k] for k in TEXTURES if k in self._gl]
        if textures:
            GL.glDeleteTextures(textures)
        if "vbo" in self._gl:
            GL.glDeleteBuffers(1, [self._gl["vbo"]])
            GL.glDeleteVertexArrays(1, [self._gl["vao"]])
        for name, program in self._gl.items():
            if name.startswith("program:"):
                GL.glDeleteProgram(program)
        self._gl.clear()
        self._programs = {}
        self._tex_key = self._mask_key = self._depth_key = None
        self.doneCurrent()

    def resizeGL(self, w: int, h: int) -> None:  # noqa: N802
        self.view.set_widget_size(self.width(), self.height())

    # -- drawing ---------------------------------------------------------------------------
    def paintGL(self) -> None:  # noqa: N802
        GL.glClearColor(*BACKGROUND, 1.0)
        GL.glClear(GL.GL_COLOR_BUFFER_BIT)
        if self.image is None or "program" not in self._gl:
            self._paint_hint()
            return
        new = self._frame_dirty
        self._upload()
        self._draw_quad()
        if new:
            self.frame_presented.emit()
        if self.has_overlay():  # prompts, boxes, the brush outline
            painter = QPainter(self)  # after the GL state is unbound (see _draw_quad)
            self.paint_prompts(painter)
            painter.end()

    def _paint_hint(self) -> None:
        painter = QPainter(self)
        painter.setPen(Qt.GlobalColor.gray)
        text = self.gl_error and f"OpenGL error: {self.gl_error}" or "No media: File > Open…"
        painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, text)
        painter.end()

    def _upload(self) -> None:
        GL.glPixelStorei(GL.GL_UNPACK_ALIGNMENT, 1)  # tight rows: RGB8 of any width, masks
        if self._frame_dirty and self.image is not None:
            h, w, c = self.image.shape
            internal, fmt, kind, data = upload_format(self.image)
            key = (w, h, internal)  # a new size or dtype allocates; same ones update in place
            GL.glBindTexture(GL.GL_TEXTURE_2D, self._gl["image"])
            if key != self._tex_key:
                GL.glTexImage2D(GL.GL_TEXTURE_2D, 0, internal, w, h, 0, fmt, kind, data)
                self._tex_key = key
                self.texture_allocations += 1
            else:
                GL.glTexSubImage2D(GL.GL_TEXTURE_2D, 0, 0, 0, w, h, fmt, kind, data)
            self.uploads += 1
            self._frame_dirty = False
        if self._mask_dirty:
            mask = self.mask if self.mask is not None else np.zeros((1, 1), np.uint8)
            h, w = mask.shape
            GL.glBindTexture(GL.GL_TEXTURE_2D, self._gl["mask"])
            if (w, h) != self._mask_key:
                GL.glTexImage2D(
                    GL.GL_TEXTURE_2D, 0, GL.GL_R8, w, h, 0, GL.GL_RED, GL.GL_UNSIGNED_BYTE, mask
                )
                self._mask_key = (w, h)
            else:
                GL.glTexSubImage2D(
                    GL.GL_TEXTURE_2D, 0, 0, 0, w, h, GL.GL_RED, GL.GL_UNSIGNED_BYTE, mask
                )
            self._mask_dirty = False
        if self._lut_dirty:
            self._upload_lut()
        if self._depth_dirty:
            self._upload_depth()

    def _upload_lut(self) -> None:
        """The display LUT with, for exposure in linear light, its linear LUT and decode table
        (once per view or source change; which one a paint uses is ``_draw_quad``'s choice)."""
        empty = np.zeros((2, 2, 2, 3), np.float32)
        lut = self.lut
        path = lut.exposure if lut is not None else SRGB_PATH
        linear = path.lut if path is not None else None
        for name, table in (
            ("lut", lut.table if lut is not None else empty),
            ("lut_linear", linear.table if linear is not None else empty),
        ):
            n = table.shape[0]
            GL.glBindTexture(GL.GL_TEXTURE_3D, self._gl[name])
            GL.glTexImage3D(
                GL.GL_TEXTURE_3D, 0, GL.GL_RGB32F, n, n, n, 0, GL.GL_RGB, GL.GL_FLOAT, table
            )
            for param in (GL.GL_TEXTURE_MIN_FILTER, GL.GL_TEXTURE_MAG_FILTER):
                GL.glTexParameteri(GL.GL_TEXTURE_3D, param, GL.GL_LINEAR)
            for wrap in (GL.GL_TEXTURE_WRAP_S, GL.GL_TEXTURE_WRAP_T, GL.GL_TEXTURE_WRAP_R):
                GL.glTexParameteri(GL.GL_TEXTURE_3D, wrap, GL.GL_CLAMP_TO_EDGE)
        GL.glBindTexture(GL.GL_TEXTURE_3D, 0)
        decode = path.decode if path is not None else np.zeros((2, 3), np.float32)
        GL.glBindTexture(GL.GL_TEXTURE_2D, self._gl["decode"])
        n = decode.shape[0]
        GL.glTexImage2D(GL.GL_TEXTURE_2D, 0, GL.GL_RGB32F, n, 1, 0, GL.GL_RGB, GL.GL_FLOAT, decode)
        self.lut_uploads += 1
        self._lut_dirty = False

    def _upload_depth(self) -> None:
        depth = self.depth if self.depth is not None else np.ones((1, 1), np.float32)
        h, w = depth.shape
        GL.glBindTexture(GL.GL_TEXTURE_2D, self._gl["depth"])
        if (w, h) != self._depth_key:
            GL.glTexImage2D(GL.GL_TEXTURE_2D, 0, GL.GL_R32F, w, h, 0, GL.GL_RED, GL.GL_FLOAT, depth)
            self._depth_key = (w, h)
        else:
            GL.glTexSubImage2D(GL.GL_TEXTURE_2D, 0, 0, 0, w, h, GL.GL_RED, GL.GL_FLOAT, depth)
        self._depth_dirty = False

    def _draw_quad(self) -> None:
        left, top, right, bottom = self.view.image_rect_ndc()
        quad = np.array(
            [left, top, 0, 0, right, top, 1, 0, left, bottom, 0, 1, right, bottom, 1, 1], np.float32
        )
        try:
            program = self._program(self._features())
        except RuntimeError as exc:
            self.gl_error = str(exc)
            log.error("viewport shader: %s", exc)
            return
        GL.glUseProgram(program)
        GL.glBindVertexArray(self._gl["vao"])
        GL.glBindBuffer(GL.GL_ARRAY_BUFFER, self._gl["vbo"])
        GL.glBufferSubData(GL.GL_ARRAY_BUFFER, 0, quad.nbytes, quad)
        filt = GL.GL_NEAREST if self.device_zoom() >= 1.0 else GL.GL_LINEAR
        # the overlay's outline thresholds texels (NEAREST); the matte view filters as the image
        mask_filt = filt if self.settings.channel_index == MATTE else GL.GL_NEAREST
        route = display_route(self.settings, self.lut)
        GL.glActiveTexture(GL.GL_TEXTURE0 + UNITS["lut"])  # the linear LUT when decoding
        GL.glBindTexture(
            GL.GL_TEXTURE_3D, self._gl["lut" if route.decode is None else "lut_linear"]
        )
        for name in ("image", "mask", "depth", "decode"):
            GL.glActiveTexture(GL.GL_TEXTURE0 + UNITS[name])
            GL.glBindTexture(GL.GL_TEXTURE_2D, self._gl[name])
            for param in (GL.GL_TEXTURE_MIN_FILTER, GL.GL_TEXTURE_MAG_FILTER):
                chosen = {"image": filt, "mask": mask_filt, "decode": GL.GL_LINEAR}
                GL.glTexParameteri(GL.GL_TEXTURE_2D, param, chosen.get(name, GL.GL_NEAREST))
            for wrap in (GL.GL_TEXTURE_WRAP_S, GL.GL_TEXTURE_WRAP_T):
                GL.glTexParameteri(GL.GL_TEXTURE_2D, wrap, GL.GL_CLAMP_TO_EDGE)
        self._set_uniforms(program, route)
        GL.glDrawArrays(GL.GL_TRIANGLE_STRIP, 0, 4)
        GL.glBindVertexArray(0)
        GL.glUseProgram(0)
        GL.glActiveTexture(GL.GL_TEXTURE0 + UNITS["lut"])
        GL.glBindTexture(GL.GL_TEXTURE_3D, 0)
        GL.glActiveTexture(GL.GL_TEXTURE0)

    def _set_uniforms(self, program: int, route: DisplayRoute) -> None:
        s = self.settings

        def loc(name: str) -> int:
            return GL.glGetUniformLocation(program, name)

        for name, unit in UNITS.items():
            GL.glUniform1i(loc(f"u_{name}"), unit)
        lut = route.lut
        GL.glUniform1f(loc("u_lut_size"), float(lut.size if lut is not None else 2))
        lo, hi = lut.shaper if lut is not None and lut.shaper is not None else (0.0, 1.0)
        GL.glUniform2f(loc("u_shaper_range"), lo, hi)
        decode = route.decode
        GL.glUniform1f(loc("u_decode_size"), float(decode.shape[0] if decode is not None else 2))
        GL.glUniform1f(loc("u_depth_opacity"), s.depth_opacity)
        GL.glUniform3f(loc("u_depth_near"), *DEPTH_NEAR)
        GL.glUniform3f(loc("u_depth_far"), *DEPTH_FAR)
        GL.glUniform1f(loc("u_exposure"), s.exposure)
        GL.glUniform1f(loc("u_gamma"), s.gamma)
        GL.glUniform1i(loc("u_channel"), s.channel_index)
        GL.glUniform3f(loc("u_overlay_colour"), *s.overlay_colour)
        GL.glUniform1f(loc("u_overlay_opacity"), s.overlay_opacity)
        mh, mw = self.mask.shape if self.mask is not None else (1, 1)
        GL.glUniform2f(loc("u_mask_texel"), 1.0 / mw, 1.0 / mh)
