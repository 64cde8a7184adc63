"""``convanim serve``: a real server started by the command on a free port, driven from headless Chromium (form,
YAML editor, live re-render, inline errors, save, download GIF), the folder it may write, and a clean Ctrl-C."""

from __future__ import annotations

import http.client
import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def server(tmp_path: Path):
    """``convanim serve FOLDER --port 0``: (url, folder, process); stopped with Ctrl-C at the end."""
    folder = tmp_path / "configs"
    folder.mkdir()
    for name in ("padding_strides.yaml", "receptive_field_wavenet.yaml"):
        shutil.copy(ROOT / "configs" / name, folder / name)
    proc = subprocess.Popen([sys.executable, "-m", "convanim", "serve", str(folder), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    assert line.startswith("convanim serve: http://127.0.0.1:"), (line, proc.stderr.read() if proc.poll() else "")
    url = line.split()[2]
    yield url, folder, proc
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=10)


def wait_player(page, frames: int) -> None:
    page.wait_for_function(f"document.getElementById('player').dataset.frames === '{frames}' && "
                           "document.querySelector('#player figure.cv-player[data-ready]')", timeout=10000)


def edit(page, key: str, value: str) -> None:
    page.fill(f"#form [name={key}]", value)
    page.locator(f"#form [name={key}]").blur()  # as a person leaves the field: its change event


def test_serve_edits_renders_saves_and_downloads(server, browser, tmp_path: Path) -> None:
    url, folder, proc = server
    page = browser.new_page(reduced_motion="reduce", accept_downloads=True)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    wait_player(page, 9)  # the folder's first config, padding_strides
    assert page.input_value("#form [name=stride]") == "2" and "stride: 2" in page.input_value("#yaml")

    edit(page, "stride", "1")  # the form: a new figure, and the YAML follows
    wait_player(page, 25)
    assert "stride: 1" in page.input_value("#yaml") and page.inner_text("#error") == ""
    assert page.inner_text("#player .cv-status").startswith("Step 1 of 25: y[0,0] = ")

    page.fill("#yaml", page.input_value("#yaml").replace("stride: 1", "stride: 0"))  # the editor: an error inline
    page.wait_for_function("document.getElementById('error').textContent !== ''", timeout=10000)
    assert page.inner_text("#error") == "error: padding_strides.yaml:4: stride: must be >= 1, got 0"  # its line
    assert page.get_attribute("#player", "data-frames") == "25"  # the last good figure stays

    page.fill("#yaml", "input_size: 40\nkernel_size: 3\n")  # over max_frames: refused as by the CLI
    page.wait_for_function("document.getElementById('error').textContent.includes('max_frames')", timeout=10000)
    assert "the animation would have 1,444 frames, over the limit of 1000" in page.inner_text("#error")

    page.fill("#yaml", "input_size: 6\nkernel_size: 3\ndilation: 2\n")
    wait_player(page, 4)
    page.fill("#save-name", "mine.yaml")
    page.click("#save")
    page.wait_for_function("document.getElementById('saved').textContent === 'Saved mine.yaml'", timeout=10000)
    assert (folder / "mine.yaml").read_text() == "input_size: 6\nkernel_size: 3\ndilation: 2\n"
    assert page.eval_on_selector_all("#file option", "os => os.map(o => o.value)") == [
        "mine.yaml", "padding_strides.yaml", "receptive_field_wavenet.yaml", ""]

    with page.expect_download() as download:
        page.click("#gif")
    gif = tmp_path / "downloaded.gif"
    download.value.save_as(gif)
    assert download.value.suggested_filename == "mine.gif"
    with Image.open(gif) as im:
        assert im.format == "GIF" and im.n_frames == 4

    page.select_option("#file", "receptive_field_wavenet.yaml")  # a layers: config: the YAML edits it
    wait_player(page, 9)
    assert page.get_attribute("#form", "class") == "layers"
    assert errors == []
    page.close()


def test_serve_never_writes_outside_its_folder(server, browser) -> None:
    url, folder, _ = server
    page = browser.new_page()
    page.goto(url)
    wait_player(page, 9)
    before = sorted(p.name for p in folder.parent.rglob("*"))
    for name in ("../evil.yaml", str(folder.parent / "evil.yaml"), "sub/evil.yaml", "evil.txt", ".hidden.yaml", ""):
        res = page.evaluate("""name => fetch('/api/save', {method: 'POST', headers: {'X-Convanim-Token':
            JSON.parse(document.getElementById('boot').textContent).token}, body: JSON.stringify({name,
            yaml: 'input_size: 4\\n'})}).then(r => r.json())""", name)
        assert res["ok"] is False and res["error"].startswith("error: save: "), (name, res)
    res = page.evaluate("""() => fetch('/api/save', {method: 'POST', headers: {'X-Convanim-Token':
        JSON.parse(document.getElementById('boot').textContent).token}, body: JSON.stringify({name: 'bad.yaml',
        yaml: 'input_size: 4\\nstride: 0\\n'})}).then(r => r.json())""")
    assert res == {"ok": False, "error": "error: bad.yaml:2: stride: must be >= 1, got 0"}  # never a bad config
    assert sorted(p.name for p in folder.parent.rglob("*")) == before
    page.close()


def test_serve_refuses_other_origins_and_stops_cleanly_on_ctrl_c(server) -> None:
    url, folder, proc = server
    host, port = url.split("//")[1].strip("/").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.request("GET", "/", headers={"Host": "evil.example:80"})  # DNS rebinding: another Host
    assert conn.getresponse().status == 403
    conn.request("POST", "/api/save", body=json.dumps({"name": "x.yaml", "yaml": "input_size: 4\n"}),
                 headers={"Content-Type": "application/json"})  # no token: not the server's page
    response = conn.getresponse()
    assert response.status == 403 and json.loads(response.read())["ok"] is False
    assert not (folder / "x.yaml").exists()
    conn.close()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0 and "stopped" in out and "Traceback" not in err


def test_serve_bad_target_is_a_one_line_error(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "convanim", "serve", str(tmp_path / "missing.yaml")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr == f"error: {tmp_path / 'missing.yaml'}: no such file or folder\n"
