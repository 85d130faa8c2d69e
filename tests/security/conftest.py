"""The security tests' fixtures: those of tests/e2e (see ../faults/support.py)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "faults"))
from support import e2e  # noqa: E402

# Every name of tests/e2e/conftest.py, so that one pytest run over e2e/
# and this folder works whichever "conftest" module the e2e tests import
# from.
globals().update({k: v for k, v in vars(e2e).items()
                  if not k.startswith("__")})
