"""A SimulatedPhone leaves no process behind: every adb process it starts is
waited for, so none is left running or defunct (zombie) after `techsafe demo`.

The check runs in a fresh Python process that makes itself a "child
subreaper" (Linux prctl): a daemon that a started process forks and abandons
is then re-parented to that process instead of to init, so it shows up among
its children - alive, or as a zombie nobody waited for.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent(
    """
    import ctypes, json, sys
    import psutil

    PR_SET_CHILD_SUBREAPER = 36
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        sys.exit("prctl(PR_SET_CHILD_SUBREAPER) failed")

    from techsafe.simulate.harness import SimulatedPhone
    from techsafe.simulate.profile import make_profile

    me = psutil.Process()
    before = sorted(p.pid for p in me.children(recursive=True))
    with SimulatedPhone(make_profile({"getprop": "[ro.build.version.sdk]: [34]\\n"}), adb_home=sys.argv[1]) as phone:
        during = [p.name() for p in me.children(recursive=True)]
        shell = phone.device().shell("getprop")
    left = []
    for p in me.children(recursive=True):
        try:
            left.append({"pid": p.pid, "name": p.name(), "status": p.status()})
        except psutil.NoSuchProcess:
            pass
    print(json.dumps({"before": before, "during": during, "shell": shell, "left": left}))
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="child subreaper is a Linux prctl")
def test_simulated_phone_leaves_no_child_process(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "adb-home")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["before"] == []
    assert report["shell"] == "[ro.build.version.sdk]: [34]"
    assert "adb" in report["during"]  # the private adb server was running as a child
    assert report["left"] == []  # nothing alive, nothing defunct
