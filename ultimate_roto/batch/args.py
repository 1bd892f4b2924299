"""Argument parsing shared by the ``--batch`` and ``models`` command lines."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from ultimate_roto.core.errors import EXIT_BAD_INPUT, EXIT_OK


def make_parser(prog: str, description: str, epilog: str) -> argparse.ArgumentParser:
    """A parser whose ``--help`` prints ``epilog`` as written (formats, exit codes, examples)."""
    return argparse.ArgumentParser(
        prog=prog,
        description=description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace | int:
    """The parsed arguments, or the exit code when argparse stopped (it printed the text).

    ``--help`` gives :data:`EXIT_OK`, a usage error :data:`EXIT_BAD_INPUT`; ``argv=None``
    reads ``sys.argv[1:]``.
    """
    try:
        return parser.parse_args(None if argv is None else list(argv))
    except SystemExit as exc:  # argparse: --help → 0, usage error → 2
        return EXIT_OK if exc.code in (0, None) else EXIT_BAD_INPUT
