"""scripts/deps.sh, run by a user who is neither root nor has sudo, on a
machine missing packages: it installs nothing, and says the one command to
run as root."""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import REPO


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to become another user")
def test_without_root_or_sudo_it_prints_the_command():
    # Not pytest's tmp_path: its parents are closed to other users.
    tmp = Path(tempfile.mkdtemp(prefix="cxhook-deps-", dir="/tmp"))
    try:
        check_message(tmp)
    finally:
        shutil.rmtree(tmp)


def check_message(tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    # Every package is missing (dpkg-query knows none), and there is no
    # sudo: PATH holds only what the script needs besides.
    (bindir / "dpkg-query").write_text("#!/bin/sh\nexit 1\n")
    (bindir / "dpkg-query").chmod(0o755)
    for tool in ("id", "grep"):
        (bindir / tool).symlink_to(f"/usr/bin/{tool}")
    # A copy, since the checkout may be where nobody cannot go (/root).
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    shutil.copy(REPO / "scripts" / "deps.sh", scripts / "deps.sh")
    tmp_path.chmod(0o755)
    r = subprocess.run(
        ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
         "/bin/sh", str(scripts / "deps.sh"), "build"],
        env={"PATH": str(bindir)}, capture_output=True, text=True, timeout=30)
    assert r.returncode == 1, r.stderr
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert lines[0].startswith("cxhook: these Debian packages are missing: gcc make "), lines
    assert lines[0].endswith(" scdoc"), lines
    assert "needs root" in lines[1], lines
    # Root is to run the script itself, which keeps the services the
    # packages bring stopped and disabled.
    assert lines[2] == f"    su -c 'sh {scripts}/deps.sh build'", lines
    assert lines[3] == "then this command again.", lines
    assert "installing missing" not in r.stderr
