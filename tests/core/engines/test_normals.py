"""Normals from depth (planes give their true normal) and near/far depth masks."""

from __future__ import annotations

import numpy as np
import pytest

from ultimate_roto.core.engines.normals import depth_range_mask, normals_from_depth
from ultimate_roto.core.errors import InputError


def plane_depth(normal, offset, h=40, w=60, fov=60.0):
    """Depth along the optical axis of the plane n·P = offset (OpenGL camera, looking at -z)."""
    f = (w / 2) / np.tan(np.radians(fov) / 2)
    v, u = np.mgrid[0:h, 0:w]
    rays = np.stack([(u + 0.5 - w / 2) / f, -(v + 0.5 - h / 2) / f, -np.ones((h, w))], -1)
    t = offset / (rays @ np.asarray(normal, float))
    return t  # P = t·ray, so the depth Z = t


def test_fronto_parallel_plane_faces_the_camera():
    n = normals_from_depth(np.full((20, 30), 5.0))
    assert n.shape == (20, 30, 3) and n.dtype == np.float32
    np.testing.assert_allclose(n.reshape(-1, 3), [[0, 0, 1]] * 600, atol=1e-6)


@pytest.mark.parametrize("normal", [(0.0, 0.6, 0.8), (-0.5, 0.0, np.sqrt(0.75)), (0.3, -0.3, 0.9)])
def test_tilted_plane_gives_its_normal_everywhere(normal):
    normal = np.asarray(normal) / np.linalg.norm(normal)
    depth = plane_depth(normal, -4.0)
    assert (depth > 0).all()
    n = normals_from_depth(depth)
    np.testing.assert_allclose(np.linalg.norm(n, axis=-1), 1.0, atol=1e-5)
    np.testing.assert_allclose(n.reshape(-1, 3), np.tile(normal, (depth.size, 1)), atol=1e-4)


def test_depth_range_masks():
    depth = np.linspace(0, 1, 11, dtype=np.float32)[None].repeat(3, 0)
    near = depth_range_mask(depth, far=0.3)
    np.testing.assert_array_equal(near[0], [1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0])
    band = depth_range_mask(depth, near=0.4, far=0.6)
    np.testing.assert_array_equal(band[0], [0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0])
    soft = depth_range_mask(depth, near=0.5, feather=0.4)
    np.testing.assert_allclose(soft[0, 3:8], [0.0, 0.25, 0.5, 0.75, 1.0], atol=1e-6)


def test_bad_inputs():
    with pytest.raises(InputError):
        normals_from_depth(np.ones((4, 4, 3)))
    with pytest.raises(InputError):
        normals_from_depth(np.full((4, 4), np.nan))
    with pytest.raises(InputError):
        normals_from_depth(np.ones((4, 4)), fov_deg=0)
    with pytest.raises(InputError):
        depth_range_mask(np.ones((4, 4)))
    with pytest.raises(InputError):
        depth_range_mask(np.ones((4, 4)), near=0.8, far=0.2)
