"""The HTML report as a browser shows it: headless Chromium (Debian `chromium`)
renders it, takes screenshots (desktop and phone width), dumps the DOM and
prints it to PDF (A4), and pdftotext (poppler-utils) reads the PDF back."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from report_case import HOSTILE_TITLE

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)  # fmt: skip


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    if CHROMIUM is None:
        pytest.fail("Debian package `chromium` is required for this test (apt-get install chromium)")
    profile = tmp_path / f"chromium-profile-{len(list(tmp_path.glob('chromium-profile-*')))}"
    profile.mkdir()
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.fixture
def html_report(sample_case, run_cli, tmp_path) -> Path:
    out = tmp_path / "report.html"
    result = run_cli("report", sample_case.root, "--format", "html", "-o", out)
    assert result.exit_code == 0, result.output
    return out


def test_html_is_self_contained(html_report):
    html = html_report.read_text("utf-8")
    assert "default-src 'none'" in html  # CSP: the browser may not fetch anything
    assert not re.search(r"""(src|href)\s*=\s*["'](?!#)""", html), "only in-page links allowed"
    assert "http://" not in html.replace('HYPERLINK(&#34;http://evil&#34;)', "")
    assert "https://" not in html and "<script" not in html


def test_rendered_page_shows_summary_and_every_finding(html_report, sample_analysis, tmp_path):
    shot = tmp_path / "desktop.png"
    result = chromium(tmp_path, "--window-size=1280,2000", f"--screenshot={shot}", html_report.as_uri())
    assert shot.is_file(), result.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000

    phone = tmp_path / "phone.png"
    chromium(tmp_path, "--window-size=390,844", f"--screenshot={phone}", html_report.as_uri())
    assert phone.is_file() and phone.stat().st_size > 5_000

    dom = chromium(tmp_path, "--dump-dom", html_report.as_uri()).stdout
    text = _text_of(dom)
    assert "4 things need attention" in text
    assert text.index("4 things need attention") < text.index("Findings")
    for finding in sample_analysis.findings:
        assert finding.title in text, finding.title
    # the hostile title is shown as text, never run as a script
    assert "<script>" not in dom.replace("&lt;script&gt;", "")
    assert HOSTILE_TITLE in text
    for heading in ("Device", "Timeline", "What was checked", "What could not be checked", "About this report"):
        assert heading in text


def test_print_to_pdf_on_a4(html_report, sample_analysis, tmp_path):
    pdf = tmp_path / "report.pdf"
    result = chromium(tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", html_report.as_uri())
    assert pdf.is_file(), result.stderr[-2000:]
    assert pdf.read_bytes()[:5] == b"%PDF-"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups())
    assert (round(width), round(height)) == (595, 842)  # A4 from the print CSS
    text = " ".join(subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout.split())
    assert "4 things need attention" in text
    for finding in sample_analysis.findings:
        assert " ".join(finding.title.split()) in text, finding.title
    assert "Signing public key" in text


def _text_of(dom: str) -> str:
    import html as htmllib

    body = re.sub(r"<style.*?</style>", " ", dom, flags=re.S)
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", body)).split())
