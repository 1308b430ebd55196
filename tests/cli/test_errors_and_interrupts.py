"""One form for every command's error line, Ctrl-C during `techsafe analyze`,
and the help text of `analyze` and the README's command table."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from techsafe.cli import cli

REPO = Path(__file__).resolve().parents[2]

# Runs `techsafe ARGS...` (the real entry point) and delivers a real SIGINT to
# itself when MODULE.FUNCTION is called, i.e. at a known point of the command
# (several points, comma-separated: a Ctrl-C pressed again).
SIGINT_AT = """
import importlib, os, signal, sys
def patch(where):
    module, name = where.rsplit(".", 1)
    mod = importlib.import_module(module)
    real = getattr(mod, name)
    def interrupted(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)
        return real(*args, **kwargs)
    setattr(mod, name, interrupted)
for where in sys.argv[1].split(","):
    patch(where)
from techsafe.cli import main
sys.argv = ["techsafe"] + sys.argv[2:]
main()
"""


def _ctrl_c_at(where: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", SIGINT_AT, where, *args], capture_output=True, text=True,
                          timeout=120, env=dict(os.environ, PYTHONPATH=str(REPO)))


def _events(case: Path) -> list[str]:
    return [json.loads(line)["event"] for line in (case / "log.jsonl").read_text().splitlines()]


@pytest.fixture
def androidqf(shared) -> Path:
    return shared / "captures" / "android" / "mvt" / "androidqf"


def test_ctrl_c_during_analysis_keeps_the_case_says_so_and_logs_it(techsafe_home, tmp_path, androidqf):
    case = tmp_path / "int"
    r = _ctrl_c_at("techsafe.workflow.analyze_and_seal", "analyze", str(androidqf), "--case", str(case))
    assert r.returncode == 130
    assert r.stderr == (f"techsafe: stopped (Ctrl-C) before the analysis finished; the copy of {androidqf} is kept "
                        f"in {case}; run `techsafe analyze {case}` to finish\n")
    assert r.stdout == ""
    assert _events(case) == ["ingest", "analyze.interrupted"]
    # ... and what the message says to do finishes it.
    done = CliRunner().invoke(cli, ["analyze", str(case), "--json"])
    assert done.exit_code == 0, done.output
    assert _events(case)[-1] == "analyze"


def test_ctrl_c_while_copying_leaves_no_half_made_case(techsafe_home, tmp_path, androidqf):
    case = tmp_path / "int"
    r = _ctrl_c_at("techsafe.pipeline.ingest", "analyze", str(androidqf), "--case", str(case))
    assert r.returncode == 130
    assert r.stderr == f"techsafe: stopped (Ctrl-C) while copying {androidqf}; nothing was kept or analyzed\n"
    assert not case.exists()


def test_ctrl_c_before_a_sealed_case_is_written_leaves_it_sealed(techsafe_home, tmp_path, androidqf):
    case = tmp_path / "case"
    assert CliRunner().invoke(cli, ["analyze", str(androidqf), "--case", str(case), "--json"]).exit_code == 0
    log = (case / "log.jsonl").read_bytes()
    r = _ctrl_c_at("techsafe.workflow.ensure_intact", "analyze", str(case))
    assert r.returncode == 130
    assert r.stderr == (f"techsafe: stopped (Ctrl-C) before the analysis finished; {case} was not changed; "
                        f"run `techsafe analyze {case}` to finish\n")
    assert (case / "log.jsonl").read_bytes() == log  # a log line here would break the seal
    assert CliRunner().invoke(cli, ["analyze", str(case), "--json"]).exit_code == 0


def test_ctrl_c_in_a_reanalysis_leaves_the_sealed_case_as_it_was(techsafe_home, tmp_path, androidqf):
    """Re-analysis reads first and writes only in its last milliseconds."""
    case = tmp_path / "case"
    assert CliRunner().invoke(cli, ["analyze", str(androidqf), "--case", str(case), "--json"]).exit_code == 0
    r = _ctrl_c_at("techsafe.pipeline.analyze_case", "analyze", str(case))
    assert r.returncode == 130
    assert r.stderr == (f"techsafe: stopped (Ctrl-C) before the analysis finished; {case} was not changed; "
                        f"run `techsafe analyze {case}` to finish\n")
    assert CliRunner().invoke(cli, ["case", "verify", str(case)]).exit_code == 0


def test_ctrl_c_while_a_reanalysis_writes_is_held_until_it_is_sealed(techsafe_home, tmp_path, androidqf):
    case = tmp_path / "case"
    assert CliRunner().invoke(cli, ["analyze", str(androidqf), "--case", str(case), "--json"]).exit_code == 0
    r = _ctrl_c_at("techsafe.workflow.seal", "analyze", str(case), "--json")
    assert r.returncode == 0, r.stderr
    assert _events(case)[-2:] == ["reanalyze.archived", "analyze"]
    assert CliRunner().invoke(cli, ["case", "verify", str(case)]).exit_code == 0


def test_ctrl_c_while_adding_to_a_sealed_case_puts_it_back(techsafe_home, tmp_path, androidqf):
    case = tmp_path / "case"
    assert CliRunner().invoke(cli, ["analyze", str(androidqf), "--case", str(case), "--json"]).exit_code == 0
    files = sorted(p.relative_to(case).as_posix() for p in case.rglob("*"))
    log = (case / "log.jsonl").read_bytes()
    from scapy.layers.dns import DNS, DNSQR
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Ether
    from scapy.utils import wrpcap

    capture = tmp_path / "phone-traffic.pcap"  # the phone's traffic, to go with its acquisition
    wrpcap(str(capture), [Ether() / IP(src="192.168.1.20", dst="192.168.1.1") / UDP(sport=5353, dport=53)
                          / DNS(rd=1, qd=DNSQR(qname="example.org"))])
    # Ctrl-C, and Ctrl-C again while techsafe puts the case back
    r = _ctrl_c_at("techsafe.pipeline.analyze_case,techsafe.commands.analyze._roll_back",
                   "analyze", str(capture), "--case", str(case))
    assert r.returncode == 130, r.stderr
    assert r.stderr == (f"techsafe: stopped (Ctrl-C) before the analysis finished; {case} was put back as it was "
                        f"(its seal holds); run `techsafe analyze {capture} --case {case}` again to add it\n")
    assert sorted(p.relative_to(case).as_posix() for p in case.rglob("*")) == files
    assert (case / "log.jsonl").read_bytes() == log
    assert CliRunner().invoke(cli, ["case", "verify", str(case)]).exit_code == 0


@pytest.mark.parametrize("args,message", [
    (["report", "{tmp}"], "{tmp}: not a techsafe case folder (no case.json)"),
    (["case", "export", "{tmp}", "--encrypt-to", "age1xyz"], "{tmp}: not a techsafe case folder (no case.json)"),
    (["case", "verify", "{tmp}", "--public-key", "nope"], "{tmp}: not a techsafe case folder (no case.json)"),
    (["signatures", "remove", "nope"], "no installed feed named 'nope' (see `techsafe signatures status`)"),
    (["report", "{tmp}", "--format", "pdf"], None),
    (["signatures", "import", "{tmp}/odd.txt"], "{tmp}/odd.txt: neither an Echap ioc.yaml/watchware.yaml nor a STIX 2 bundle"),
    (["playbook", "nope"], "no guide for 'nope': not a known finding kind; see `techsafe playbook --list`."),
    (["analyze", "{tmp}/missing"], "{tmp}/missing: no such file or folder"),
])
def test_every_command_errors_in_one_form(techsafe_home, tmp_path, args, message):
    (tmp_path / "odd.txt").write_text("hello\n")
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = CliRunner().invoke(cli, args)
    if message is None:  # a wrong option value: a usage error keeps click's usage line and hint
        assert result.exit_code == 2 and "Usage: " in result.stderr
        return
    assert result.exit_code == 1
    assert result.stderr == f"techsafe: {message.replace('{tmp}', str(tmp_path))}\n"


def test_analyze_help_names_every_input():
    out = " ".join(CliRunner().invoke(cli, ["analyze", "--help"]).output.split())
    assert ("Analyze PATH: a case folder (re-analyzed with today's signatures), an androidqf folder or zip, a dumpsys "
            "text dump, a bugreport, an iPhone backup, an iPhone installation_proxy app list (.plist), or a "
            "pcap/pcapng/btsnoop capture.") in out


def test_readme_says_network_traffic_is_live_only():
    readme = (REPO / "README.md").read_text("utf-8")
    (row,) = [line for line in readme.splitlines() if line.startswith("| `techsafe network scan")]
    assert row == ("| `techsafe network scan\\|traffic` | the network scan alone; capture live traffic "
                   "(`traffic --live IFACE --duration S`) and check it against stalkerware servers (saved pcaps: "
                   "`techsafe analyze`) |")


def test_ctrl_c_anywhere_else_is_one_line_not_aborted(techsafe_home):
    r = _ctrl_c_at("techsafe.playbooks.load_playbook", "playbook", "android.accessibility.enabled")
    assert (r.returncode, r.stderr, r.stdout) == (130, "techsafe: stopped (Ctrl-C)\n", "")
