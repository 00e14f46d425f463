"""`python -m bench._switched NAME[,NAME...] ARGS...`: the `caseflow` CLI with the named speed
shortcuts (caseflow/infra/shortcuts.py) turned off in its process; `-` turns none off."""

from __future__ import annotations

import sys

from caseflow.infra import shortcuts
from caseflow.infra.cli import main

if __name__ == "__main__":
    names = [n for n in sys.argv[1].split(",") if n and n != "-"]
    shortcuts.switch(names, False)
    sys.argv = ["caseflow", *sys.argv[2:]]
    sys.exit(main())
