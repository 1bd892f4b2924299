"""A small .nk reader for the tests: Tcl-ish blocks, the stack commands and the Roto curves knob."""

from __future__ import annotations

import numpy as np


class NkSyntaxError(ValueError):
    """Unbalanced braces or an unterminated string."""


def tokenize(text: str) -> list:
    """Nested lists of tokens: ``{…}`` becomes a list, ``"…"`` one token."""
    stack: list[list] = [[]]
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "#" and (i == 0 or text[i - 1] == "\n"):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif c == "{":
            stack.append([])
            i += 1
        elif c == "}":
            if len(stack) == 1:
                raise NkSyntaxError(f"unbalanced '}}' at {i}")
            done = stack.pop()
            stack[-1].append(done)
            i += 1
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            if j >= n:
                raise NkSyntaxError(f"unterminated string at {i}")
            stack[-1].append(text[i + 1 : j].replace('\\"', '"'))
            i = j + 1
        elif c.isspace():
            i += 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in '{}"':
                j += 1
            stack[-1].append(text[i:j])
            i = j
    if len(stack) != 1:
        raise NkSyntaxError("unclosed '{'")
    return stack[0]


def parse_script(text: str) -> list[dict]:
    """Top-level items in order: ``{"class", "knobs"}`` for nodes, ``{"command", "args"}``."""
    items = tokenize(text)
    out, i = [], 0
    while i < len(items):
        tok = items[i]
        if (
            isinstance(tok, str)
            and i + 1 < len(items)
            and isinstance(items[i + 1], list)
            and tok not in ("add_layer",)
        ):
            body, knobs = items[i + 1], {}
            if len(body) % 2:
                raise NkSyntaxError(f"node {tok}: knob without a value")
            for k in range(0, len(body), 2):
                knobs[body[k]] = body[k + 1]
            out.append({"class": tok, "knobs": knobs})
            i += 2
        elif tok == "add_layer":
            out.append({"command": "add_layer", "args": items[i + 1]})
            i += 2
        elif tok == "set":  # set NAME [stack 0]  → tokens: set, NAME, [stack, 0]
            out.append({"command": "set", "args": items[i + 1 : i + 4]})
            i += 4
        elif tok == "push":
            out.append({"command": "push", "args": [items[i + 1]]})
            i += 2
        else:
            raise NkSyntaxError(f"unexpected token {tok!r}")
    return out


def nk_number(tok: str) -> float:
    """``x3f800000`` (float32 bits) or a decimal."""
    if tok.startswith("x"):
        return float(np.array([int(tok[1:], 16)], np.uint32).view(np.float32)[0])
    return float(tok)


def _values(item, n_keys: int) -> np.ndarray:
    vals = [nk_number(v) for v in item] if isinstance(item, list) else [nk_number(item)]
    if len(vals) == 1:
        vals = vals * n_keys
    if len(vals) != n_keys:
        raise NkSyntaxError(f"{len(vals)} values for {n_keys} keys")
    return np.array(vals)


def parse_px(px: list) -> tuple[list[int], np.ndarray]:
    """``["px", header, {x y}…]`` → key frames and a (K, N, 3, 2) array in file (y-up) space."""
    frames = [int(nk_number(f)) for f in (px[1] if isinstance(px[1], list) else [px[1]])]
    entries = px[2:]
    if len(entries) % 3:
        raise NkSyntaxError("point data is not a whole number of triples")
    arr = np.array([[_values(e[0], len(frames)), _values(e[1], len(frames))] for e in entries])
    return frames, arr.transpose(2, 0, 1).reshape(len(frames), -1, 3, 2)


def parse_curves(curves: list, height: int) -> list[dict]:
    """Shapes of a curves knob: name, hole, keys/feather ``{frame: (N, 3, 2)}`` image space."""
    (root,) = [x for x in curves[0] if isinstance(x, list) and x and x[0] == "n"]
    layer = root[1]
    shapes = []
    for g in layer:
        if not (isinstance(g, list) and g and g[0] == "curvegroup"):
            continue
        cc = g[4]
        main, feather = cc[0], cc[1]
        frames, pts = parse_px(main[2])
        _, fpts = parse_px(feather[2])
        attrs = next(x for x in g[5:] if x[0] == "a")[1:]
        attrs = {attrs[k]: nk_number(attrs[k + 1]) for k in range(0, len(attrs), 2)}
        pts[..., 1, 1] = height - pts[..., 1, 1]
        pts[..., 0, 1] *= -1
        pts[..., 2, 1] *= -1
        fpts[..., :, 1] *= -1
        shapes.append(
            {
                "name": g[1],
                "hole": attrs.get("bm") == 12,
                "first": int(attrs["ltn"]),
                "last": int(attrs["ltm"]),
                "ltt": int(attrs["ltt"]),
                "keys": dict(zip(frames, pts, strict=True)),
                "feather": dict(zip(frames, fpts, strict=True)),
            }
        )
    return shapes
