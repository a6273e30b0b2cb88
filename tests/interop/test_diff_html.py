"""`rubric diff --format html` in a real browser: headless Chromium loads the page
with the network off and a fresh profile; the page must log nothing to the console
(no error, no uncaught exception) and its script must run to the end (it marks
<body data-ready="true">). A page that does log is caught, so the check can fail.

Chromium (Debian package `chromium`) is installed by scripts/install-chromium, which
scripts/interop runs; $CHROMIUM_BIN overrides the binary.
"""

import os
import shutil
import subprocess

import pytest

from conftest import article
from test_diff import make_records, whole_word_spans


def chromium():
    binary = os.environ.get("CHROMIUM_BIN") or shutil.which("chromium")
    if not binary:
        pytest.fail("chromium is not installed: run the suite with scripts/interop", pytrace=False)
    return binary


def render(path, tmp_path, fragment=""):
    """The DOM after load, and the console messages Chromium logged."""
    command = [
        chromium(), "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
        "--enable-logging=stderr", "--v=0", "--dump-dom", path.resolve().as_uri() + fragment,
    ]
    result = subprocess.run(command, capture_output=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    console = [line for line in result.stderr.decode("utf-8", "replace").splitlines()
               if ":CONSOLE" in line]
    return result.stdout.decode("utf-8"), console


def test_the_check_catches_a_console_error(tmp_path):
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html><head><link rel="icon" href="data:,"></head>'
                    '<body><script>missing();</script></body></html>')
    _, console = render(page, tmp_path)
    assert any("Uncaught ReferenceError" in line for line in console), console


@pytest.fixture
def report_html(rubric_bin, tmp_path):
    doc = article()
    gold = whole_word_spans(doc.text)
    # Drop the first span, relabel the second, shorten the third, add one spurious.
    pred = [gold[1][:2] + ("PERSON",), (gold[2][0], gold[2][1] - 1, gold[2][2])] + gold[3:]
    militia = doc.text.find("militia")
    pred.append((militia, militia + len("militia"), "ORG"))
    (tmp_path / "gold.jsonl").write_text(make_records(rubric_bin, [(doc.id, doc.text, gold)]))
    (tmp_path / "pred.jsonl").write_text(make_records(rubric_bin, [(doc.id, doc.text, pred)]))
    out = tmp_path / "report.html"
    result = subprocess.run([str(rubric_bin), "diff", str(tmp_path / "gold.jsonl"),
                             str(tmp_path / "pred.jsonl"), "--format", "html", "-o", str(out)],
                            capture_output=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr.decode()
    return out


def test_html_report_loads_without_console_errors(report_html, tmp_path):
    dom, console = render(report_html, tmp_path)
    assert console == []
    assert 'data-ready="true"' in dom, "the page's script ran to the end"
    assert "k-missed" in dom and "k-spurious" in dom and "k-wrong_label" in dom


def test_html_filters_hide_what_is_unticked(report_html, tmp_path):
    dom, console = render(report_html, tmp_path, "#hide=kind:correct,label:GPE")
    assert console == []
    assert 'data-ready="true"' in dom
    assert "k-correct" not in dom.split("<fieldset")[1].split("</fieldset>")[1], \
        "no correct span is highlighted once 'correct' is unticked"
    assert 'class="tag hidden" data-label="GPE"' in dom, "GPE's tags are hidden"
    assert 'class="tag" data-label="GPE"' not in dom
