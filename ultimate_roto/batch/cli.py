"""Headless command line: ``main.py --batch JOB [options]`` runs a job file with console progress."""

from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ultimate_roto.batch.args import make_parser, parse
from ultimate_roto.batch.console import ConsoleProgress, format_duration
from ultimate_roto.core.errors import (
    EXIT_CANCELLED,
    EXIT_FAILED,
    EXIT_OK,
    Cancelled,
    RotoError,
)
from ultimate_roto.core.jobspec import JOB_FORMAT_HELP
from ultimate_roto.core.progress import Progress

DEVICES = ("auto", "cpu", "cuda", "mps")

_EPILOG = (
    JOB_FORMAT_HELP
    + """
exit codes:
  0    done
  2    bad job file or input (nothing was written)
  3    failed part-way (finished outputs are kept; --resume continues)
  130  cancelled with Ctrl-C (press it twice to quit at once)

examples:
  python main.py --batch job.json --dry-run     check the job and show what it would write
  python main.py --batch job.yaml -v            run it, then print per-step timings
  python main.py --batch job.json --resume      continue after an interruption
"""
)


def build_parser() -> argparse.ArgumentParser:
    """The ``--batch`` argument parser (its --help documents the job format)."""
    parser = make_parser(
        "ultimate-roto --batch", "Run an Ultimate Roto job file without the GUI.", _EPILOG
    )
    parser.add_argument("job", metavar="JOB", help="job file (.json, .yaml or .yml)")
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="validate everything and print the plan; write nothing",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="-v: per-step timings and cache statistics; -vv: tracebacks on errors",
    )
    parser.add_argument(
        "--device",
        choices=DEVICES,
        default="auto",
        help="where models run (default: auto = CUDA, then MPS, then CPU)",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="keep outputs already complete from an interrupted run and do the rest",
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="no progress output (errors still shown)"
    )
    parser.add_argument(
        "--settings",
        metavar="FILE",
        help="user settings (cache budget, models folder) [$ULTIMATE_ROTO_SETTINGS or the"
        " user config folder's settings.json]",
    )
    parser.add_argument(
        "-o",
        "--output-dir",
        metavar="DIR",
        help="write outputs under DIR instead of the job's output_dir (relative to the"
        " current folder)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the batch command line; returns the process exit code."""
    args = parse(build_parser(), argv)
    if isinstance(args, int):  # --help or a usage error
        return args
    console = ConsoleProgress(quiet=args.quiet)
    progress = Progress(console)
    started = time.monotonic()
    try:
        with _sigint_aborts(progress, console):
            result = _in_worker(lambda: _run(args, progress, console))
    except RotoError as exc:
        console.finish()
        _print_error(exc, args.verbose)
        return exc.exit_code
    except KeyboardInterrupt:  # Ctrl-C before the handler was installed
        console.finish()
        _print_error(Cancelled(), args.verbose)
        return EXIT_CANCELLED
    except Exception as exc:  # a bug: say so plainly, with the traceback only on -vv
        console.finish()
        _print_error(
            RotoError(
                f"internal error: {type(exc).__name__}: {exc}",
                hint="rerun with -vv and report the traceback",
            ),
            args.verbose,
            exc,
        )
        return EXIT_FAILED
    console.finish()
    _print_summary(result, args, time.monotonic() - started)
    return EXIT_OK


def _run(args: argparse.Namespace, progress: Progress, console: ConsoleProgress) -> Any:
    from ultimate_roto.core.jobspec import load_job
    from ultimate_roto.core.pipeline.runner import run_job
    from ultimate_roto.core.settings import cache_settings, load_settings

    settings = load_settings(args.settings)
    if settings["models_dir"]:
        from ultimate_roto.core.engines.models import set_models_dir

        set_models_dir(settings["models_dir"])
    job = load_job(args.job)
    if args.output_dir:
        job = dataclasses.replace(job, output_dir=Path(args.output_dir).expanduser().resolve())
    log = console.log if args.verbose else _silent
    cache = cache_settings(settings)
    if args.dry_run:
        return run_job(job, progress, dry_run=True, device=args.device, log=log,
                       cache_settings=cache)  # fmt: skip
    return run_job(job, progress, resume=args.resume, device=args.device, log=log,
                   cache_settings=cache, on_plan=lambda plan: console.set_total(plan.work_units))  # fmt: skip


def _in_worker(fn: Callable[[], Any]) -> Any:
    """Run ``fn`` in a worker thread while the main thread only waits for it.

    The SIGINT handler runs on the main thread; were the job running there too, the handler
    could interrupt it while it holds a lock the handler needs (progress, console) and hang.
    """
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = fn()
        except BaseException as exc:  # handed to the main thread below
            box["error"] = exc

    worker = threading.Thread(target=target, name="batch-job", daemon=True)
    worker.start()
    while worker.is_alive():  # short joins: Windows runs signal handlers only between them
        worker.join(0.5)
    if "error" in box:
        raise box["error"]
    return box["result"]


def _silent(_line: str) -> None:
    return None


@contextmanager
def _sigint_aborts(progress: Progress, console: ConsoleProgress) -> Iterator[None]:
    """First Ctrl-C asks the work to stop cleanly; a second one exits at once (130)."""

    def handler(signum: int, frame: Any) -> None:
        if progress.aborted:
            os.write(2, b"\ninterrupted again: quitting now\n")
            os._exit(EXIT_CANCELLED)
        progress.abort()  # first: the job stops even if printing below has to wait
        console.log("cancelling... (press Ctrl-C again to quit at once)")

    try:
        previous = signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread (embedded use): no handler
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _print_error(exc: RotoError, verbose: int, cause: BaseException | None = None) -> None:
    if verbose >= 2:
        traceback.print_exception(cause or exc, file=sys.stderr)
    print(f"error: {exc.message}", file=sys.stderr)
    if exc.hint:
        print(f"  hint: {exc.hint}", file=sys.stderr)


def _print_summary(result: Any, args: argparse.Namespace, elapsed: float) -> None:
    if args.dry_run:
        print(f"dry run: job is valid; {len(result.frames)} frame(s); would write:")
        for line in result.outputs:
            print(f"  {line}")
        return
    if not args.quiet:
        print(
            f"done: {len(result.frames)} frame(s), {len(result.outputs)} output(s)"
            f" in {format_duration(elapsed)}"
        )
        for line in result.outputs:
            print(f"  {line}")
    if args.verbose:
        for name, seconds in result.timings.items():
            print(f"  time {name}: {seconds:.2f} s")
        if result.cache_stats:
            print("  " + result.cache_stats.replace("\n", "\n  "))
