"""The manual pages are complete: every key the configuration parser knows
is in cxhook.conf(5), every command `cxhook --help` lists is in cxhook(8),
and both render without a warning."""

import re
import subprocess

from conftest import REPO, run


def rendered(page):
    r = subprocess.run(["man", "--warnings", "-l", str(REPO / "build" / "man" / page)],
                       capture_output=True, text=True, timeout=30,
                       env={"MANWIDTH": "200", "PATH": "/usr/bin:/bin"})
    assert r.returncode == 0 and not r.stderr.strip(), r.stderr
    return r.stdout


def parser_keys():
    """(section, key) of every row of config/config.c's key table."""
    text = (REPO / "config" / "config.c").read_text()
    table = text[text.index("static const struct cf_key keys[]"):]
    table = table[:table.index("};")]
    keys = re.findall(r'\{\s*"([a-z]+)",\s*"([a-z_.]+)",\s*CF_', table)
    assert len(keys) > 30, keys
    return keys


def test_every_config_key_in_cxhook_conf_5():
    page = rendered("cxhook.conf.5")
    sections = re.split(r"(?m)^\[([a-z]+)\]\s*$", page)
    by_section = dict(zip(sections[1::2], sections[2::2]))
    # Named on a term line (man indents terms by 7, their text by 11).
    def named(section, key):
        end = r"(?!\w)" if key[-1].isalnum() or key[-1] == "_" else ""
        return re.search(rf"(?m)^ {{7}}(?=\S)(?:.*[^\w.])?{re.escape(key)}{end}",
                         by_section.get(section, ""))

    missing = [f"[{s}] {k}" for s, k in parser_keys() if not named(s, k)]
    assert not missing, f"not in cxhook.conf(5): {missing}"


def test_every_command_in_cxhook_8(cxhook_bin):
    usage = run([cxhook_bin, "--help"]).stdout
    commands = sorted(set(re.findall(r"cxhook ([a-z][a-z-]+)", usage)))
    assert {"serve", "check-config", "migrate", "send", "train", "classify"} <= set(commands)
    page = rendered("cxhook.8")
    commands_section = page[page.index("COMMANDS"):page.index("SIGNALS")]
    missing = [c for c in commands if not re.search(rf"(?m)^\s+{c}\s*$", commands_section)]
    assert not missing, f"not in cxhook(8): {missing}"
    for word in ("SIGHUP", "SIGTERM", "EXIT STATUS", "78", "/etc/cxhook/cxhook.conf"):
        assert word in page, word
