"""The systemd unit's exposure, as systemd-analyze security rates it
offline (no systemd needed), is 2.0 or lower.

Pass rule: systemd-analyze security --offline=yes --threshold=20 exits 0
(the threshold is the exposure times ten) and its overall line says a
level of at most 2.0.
"""
import re
import shutil
import subprocess

import pytest

from support import REPO

UNIT = REPO / "conf" / "systemd" / "ticd.service"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze is not installed")
def test_unit_exposure_at_most_2():
    p = subprocess.run(["systemd-analyze", "security", "--offline=yes",
                        "--threshold=20", "--no-pager", str(UNIT)],
                       capture_output=True, timeout=60)
    out = p.stdout.decode() + p.stderr.decode()
    m = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", out)
    assert m, out[-2000:]
    level = float(m.group(1))
    print("systemd-analyze security: exposure %.1f" % level)
    assert level <= 2.0, out[-2000:]
    assert p.returncode == 0, out[-2000:]
