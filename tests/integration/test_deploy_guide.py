"""docs/deploy.md says what it can prove: every configuration block in it
passes `cxhook check-config` (with its secret files in place), the commands
that make the tunnel's credential do so, every cxhook command it uses
exists, every file of the tree it names is there, and the README links it."""

import re
import subprocess

import pytest

from conftest import REPO, run

GUIDE = REPO / "docs" / "deploy.md"


def blocks(lang):
    text = GUIDE.read_text(encoding="utf-8")
    return re.findall(rf"(?ms)^```{lang}\n(.*?)^```", text)


def base_conf(tmp_path, auth):
    """A whole configuration around one [auth] block of the guide, its
    /etc/cxhook/ secret files made in tmp_path."""
    secrets = tmp_path / "etc"
    secrets.mkdir(exist_ok=True)
    auth = auth.replace("/etc/cxhook/", f"{secrets}/")
    for path in re.findall(r"=\s*(\S+/etc/\S+)", auth):
        with open(path, "w") as f:
            f.write("a-long-enough-secret-value-for-the-guide-test\n")
    conf = tmp_path / "cxhook.conf"
    conf.write_text(f"""\
[pool]
listen = unix:{tmp_path}/cxhook.sock
workers = 2

[database]
conninfo = postgresql:///cxhook?host=/run/postgresql

{auth}""")
    return conf


@pytest.mark.parametrize("n", range(len(blocks("ini"))))
def test_every_ini_block_passes_check_config(cxhook_bin, tmp_path, n):
    block = blocks("ini")[n]
    assert block.startswith("[auth]"), block
    conf = base_conf(tmp_path, block)
    r = run([cxhook_bin, "check-config", "-c", conf], check=False)
    assert r.returncode == 0, f"block {n}:\n{block}\n{r.stderr}"


def test_a_typo_in_a_block_would_be_caught(cxhook_bin, tmp_path):
    """The check above can fail: a misspelt key is refused."""
    conf = base_conf(tmp_path, blocks("ini")[0].replace("header_name", "header_nam"))
    r = run([cxhook_bin, "check-config", "-c", conf], check=False)
    assert r.returncode == 78, r.stderr
    assert "header_nam" in r.stderr


def test_the_tunnel_credential_commands(cxhook_bin, tmp_path):
    """Section 1's commands, as written, up to `make run`: they make a
    random header value and an [auth] file that check-config takes."""
    first = blocks("sh")[0]
    lines = [l for l in first.splitlines() if "make run" not in l]
    assert len(lines) < len(first.splitlines()), "section 1 no longer runs make run"
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    subprocess.run(["bash", "-euc", "\n".join(lines)], env=env, check=True,
                   timeout=30)
    value = (tmp_path / ".cxhook" / "header.value").read_text().strip()
    assert len(value) >= 40 and value.isalnum(), value
    auth = (tmp_path / ".cxhook" / "auth.ini").read_text()
    assert f"header_value_file = {tmp_path}/.cxhook/header.value" in auth
    conf = tmp_path / "cxhook.conf"
    conf.write_text(f"[pool]\nlisten = unix:{tmp_path}/s\n[database]\n"
                    f"conninfo = dbname=cxhook\n\n{auth}")
    run([cxhook_bin, "check-config", "-c", conf])


def test_every_cxhook_command_exists(cxhook_bin):
    usage = run([cxhook_bin, "--help"]).stdout
    known = set(re.findall(r"cxhook ([a-z][a-z-]+)", usage))
    used = set(re.findall(r"(?m)(?:^|\s|`)cxhook ([a-z][a-z-]+)",
                          "\n".join(blocks("sh"))))
    used.discard("cxhook")  # createdb -O cxhook cxhook: a role and a database
    assert {"check-config", "migrate"} <= used, used
    assert used <= known, f"not commands of cxhook: {used - known}"


def test_every_named_file_exists():
    text = GUIDE.read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:conf|tests|docs|scripts|systemd|sql)/[\w./-]+)`", text))
    assert named
    missing = [p for p in sorted(named) if not (REPO / p).exists()]
    assert not missing, missing
    assert "PLACEHOLDER" not in text


def test_readme_links_the_guide():
    assert "docs/deploy.md" in (REPO / "README.md").read_text(encoding="utf-8")
