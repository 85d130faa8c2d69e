"""The fault suite's fixtures: those of tests/e2e (see support.py)."""
from support import e2e

ticd_factory = e2e.ticd_factory
ticd = e2e.ticd
module_factory = e2e.module_factory
