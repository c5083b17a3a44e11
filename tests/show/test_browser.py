"""End to end: JupyterLab in headless Chromium runs notebook 05, and the app plays a video.

Starts `jupyter lab` on a free localhost port with a token, on a temporary copy
of notebooks/, opens 05_generate_videos.ipynb in the system Chromium through
Playwright, runs all cells from the Run menu, chooses an expression in the
app's dropdown, clicks Generate and waits for the app's <video> to play.
Skips with the reason when Chromium or Playwright is missing.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("papermill")

from papermill.iorw import load_notebook_node  # noqa: E402
from papermill.parameterize import parameterize_notebook  # noqa: E402

from affinekit.notebook.figures import TINY  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(420)]

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
NOTEBOOK = "05_generate_videos.ipynb"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    """A JupyterLab server on a copy of notebooks/: yields (base url, token)."""
    pytest.importorskip("jupyterlab")
    root = tmp_path / "notebooks"
    shutil.copytree(REPO / "notebooks", root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    # tiny sizes, as papermill passes them (the notebook runs in seconds), clips kept in the test's folder
    tiny = {**TINY[NOTEBOOK.removesuffix(".ipynb")], "OUT_DIR": str(tmp_path / "clips")}
    nbformat.write(parameterize_notebook(load_notebook_node(str(root / NOTEBOOK)), tiny), root / NOTEBOOK)
    (root / NOTEBOOK).with_suffix(".py").unlink()     # else jupytext refuses the notebook, now newer than its pair
    port, token = free_port(), "affinekit-test-token"
    env = dict(os.environ,
               JUPYTER_CONFIG_DIR=str(tmp_path / "config"), JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(tmp_path / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"))
    env.pop("AFFINEKIT_CKPLUS", None)
    log = open(tmp_path / "lab.log", "w")
    # IdentityProvider.token is jupyter_server 2's name for the older ServerApp.token
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
           f"--ServerApp.root_dir={root}", "--LabApp.news_url=",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")                         # CI containers often run as root
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(f"JupyterLab did not start:\n{(tmp_path / 'lab.log').read_text()[-3000:]}")
            time.sleep(0.5)
        yield base, token
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)
        log.close()


def run_all(page, tries: int = 4) -> None:
    """Run > Run All Cells, again if no cell started (the first click can beat the kernel session)."""
    started = ("() => [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]"
               ".some(e => /\\[(\\*|\\d+)\\]/.test(e.textContent))")
    for _ in range(tries):
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        try:
            page.wait_for_function(started, timeout=15_000)
            return
        except Exception:    # noqa: BLE001 - playwright's TimeoutError: try the menu again
            page.keyboard.press("Escape")
    raise AssertionError("Run All Cells did not start any cell")


def test_app_plays_a_generated_video_in_jupyterlab(lab, tmp_path):
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"Chromium not found ({CHROMIUM}); install Debian's chromium (make browser) to run this test")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (python) is not installed")
    base, token = lab
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(60_000)        # every click, read and screenshot below, unless it says longer
        errors: list[str] = []
        page.on("pageerror", lambda err: errors.append(str(err)))
        try:
            page.goto(f"{base}/lab/tree/{NOTEBOOK}?token={token}", wait_until="domcontentloaded")
            page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for(timeout=90_000)
            # the kernel must be connected and idle before "Run All" does anything
            page.locator(".jp-StatusBar-Widget", has_text="Idle").first.wait_for(timeout=120_000)
            run_all(page)

            app = page.locator(".widget-vbox").filter(has=page.locator("button", has_text="Generate")).first
            app.wait_for(timeout=180_000)                       # the app's cell has run
            expression = page.locator(".widget-dropdown", has_text="expression").locator("select")
            expression.select_option("surprise")
            page.locator("button.widget-button", has_text="Generate").click()

            video = page.locator(".widget-html video.affinekit-clip")
            video.wait_for(timeout=120_000)
            # Chromium pauses a muted autoplaying video that is off screen; a user scrolls to it
            video.scroll_into_view_if_needed()
            page.wait_for_function(
                "() => { const v = document.querySelector('.widget-html video.affinekit-clip');"
                " return v && !v.paused && v.readyState >= 2 && v.currentTime > 0; }", timeout=30_000)
            state = video.evaluate("v => ({paused: v.paused, t: v.currentTime, src: v.src.slice(0, 30), "
                                   "loop: v.loop, muted: v.muted})")
            status = page.locator(".widget-html", has_text="frames to intensity").first.inner_text()
            app.screenshot(path=str(tmp_path / "app.png"))          # kept in pytest's basetemp, to look at
        except Exception:
            page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
            raise
        finally:
            browser.close()
    assert state["paused"] is False and state["t"] > 0
    assert state["src"].startswith("data:video/mp4;base64,") and state["loop"] and state["muted"]
    assert "surprise" in status
    assert not [e for e in errors if "affinekit" in e.lower()]
