"""The fault suite's fixtures: those of tests/e2e (see support.py)."""
from support import e2e

# Every name of tests/e2e/conftest.py, so that one pytest run over e2e/
# and this folder works whichever "conftest" module the e2e tests import
# from.
globals().update({k: v for k, v in vars(e2e).items()
                  if not k.startswith("__")})
