#!/usr/bin/env bash
# Runs the whole test suite: lint, import rules, Qt-free core/batch tests in an environment
# without PySide6, widget tests offscreen, OpenGL tests under Xvfb. Called by tools/setup.sh test.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
results="$(mktemp -d)"
status=0

step() { printf '\n\033[1;36m== %s\033[0m\n' "$*"; }
fail() { echo "FAILED: $*"; status=1; }

step "ruff"
.venv/bin/ruff check ultimate_roto tests benchmarks tools installers main.py || fail "ruff"

step "import rules (import-linter)"
.venv/bin/lint-imports || fail "import-linter"

step "core + batch tests, in .venv-core (no PySide6)"
if .venv-core/bin/python -c 'import PySide6' 2>/dev/null; then
  fail ".venv-core has PySide6: it cannot prove the core runs without Qt"
fi
.venv-core/bin/python -m pytest -q -p no:cacheprovider -p no:pytest-qt tests/core tests/batch \
  --junitxml="$results/core.xml" "$@" || fail "core/batch tests"

step "installer tests (no build)"
.venv/bin/python -m pytest -q -p no:cacheprovider tests/installers \
  --junitxml="$results/installers.xml" "$@" || fail "installer tests"

step "app tests (pytest-qt, offscreen)"
QT_QPA_PLATFORM=offscreen .venv/bin/python -m pytest -q -p no:cacheprovider tests/app \
  --junitxml="$results/app.xml" "$@" || fail "app tests"

step "OpenGL tests (Xvfb + xcb)"
.venv/bin/python -m pytest -q -p no:cacheprovider -m gl tests/gl \
  --junitxml="$results/gl.xml" "$@" || fail "gl tests"

step "summary"
.venv/bin/python - "$results" <<'PY'
import sys, pathlib, xml.etree.ElementTree as ET
tot = dict(tests=0, failures=0, errors=0, skipped=0)
for f in sorted(pathlib.Path(sys.argv[1]).glob("*.xml")):
    for suite in ET.parse(f).getroot().iter("testsuite"):
        for k in tot:
            tot[k] += int(suite.get(k, 0))
failed = tot["failures"] + tot["errors"]
passed = tot["tests"] - failed - tot["skipped"]
print(f"{passed} passed, {failed} failed, {tot['skipped']} skipped")
PY
rm -rf "$results"
exit $status
