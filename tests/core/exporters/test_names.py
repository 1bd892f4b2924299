"""Legal, stable EXR layer / Nuke node names."""

import re

from ultimate_roto.core.exporters.names import sanitize, sanitize_names

LEGAL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def test_illegal_names_are_cleaned_and_reported():
    names = sanitize_names(["hero", "my car", "3d.rig", "", "depth", "héros/2"])
    for orig, safe in names.mapping.items():
        assert LEGAL.fullmatch(safe), (orig, safe)
    assert names["hero"] == "hero" and "hero" not in names.changes
    assert names["my car"] == "my_car"
    assert names["3d.rig"] == "obj_3d_rig"
    assert names[""] == "object"
    assert names["depth"] == "depth_obj"  # would clash with the depth.Z layer
    assert set(names.changes) == {"my car", "3d.rig", "", "depth", "héros/2"}
    assert any("'my car' → my_car" in line for line in names.report())


def test_collisions_resolved_deterministically_whatever_the_order():
    a = sanitize_names(["a b", "a-b", "a_b"])
    b = sanitize_names(["a_b", "a-b", "a b"])
    assert a.mapping == b.mapping
    assert sorted(a.mapping.values()) == ["a_b", "a_b_2", "a_b_3"]
    assert len({v.lower() for v in a.mapping.values()}) == 3


def test_case_insensitive_clash_is_resolved():
    m = sanitize_names(["Hero", "hero"])
    assert m["Hero"].lower() != m["hero"].lower()


def test_sanitize_single_name_unchanged_reason_none():
    assert sanitize("car_01") == ("car_01", None)
