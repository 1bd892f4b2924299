"""Entry point: parse arguments first; --batch runs headless, otherwise the GUI is imported lazily."""
from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Dispatch to the batch runner, the models tool or the workstation GUI."""
    args = list(sys.argv[1:] if argv is None else argv)
    if "--batch" in args:
        from ultimate_roto.batch.cli import main as batch_main

        args.remove("--batch")
        return batch_main(args)
    if args[:1] == ["models"]:
        from ultimate_roto.batch.models_cli import main as models_main

        return models_main(args[1:])
    if args[:1] in (["-h"], ["--help"]):
        print(_USAGE)
        return 0
    if args[:1] == ["--version"]:
        from ultimate_roto import __version__

        print(f"Ultimate Roto {__version__}")
        return 0
    try:
        from ultimate_roto.app.qt_main import run_app
    except ImportError as exc:  # PySide6 missing: say how to get it
        print(
            f"error: the workstation needs PySide6 ({exc}).\n"
            "  hint: run the README's setup command, or `pip install ultimate-roto[gui]`;"
            " headless work runs with `python main.py --batch JOB.json`.",
            file=sys.stderr,
        )
        return 2
    return run_app(args)


_USAGE = """usage: ultimate-roto [MEDIA_OR_PROJECT]          open the workstation
       ultimate-roto --batch JOB.json [options]   run a job headless (--batch --help for details)
       ultimate-roto models list|pull|verify      manage model weights
       ultimate-roto --version"""


if __name__ == "__main__":
    raise SystemExit(main())
