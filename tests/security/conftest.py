"""The security tests' fixtures: those of tests/e2e (see ../faults/support.py)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "faults"))
from support import e2e  # noqa: E402

ticd_factory = e2e.ticd_factory
ticd = e2e.ticd
module_factory = e2e.module_factory
