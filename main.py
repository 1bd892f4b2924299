"""Ultimate Roto launcher shim (see ultimate_roto/__main__.py)."""
from ultimate_roto.__main__ import main

raise SystemExit(main())
