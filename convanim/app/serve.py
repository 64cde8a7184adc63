"""``convanim serve``: a local page to edit a config and watch the player redraw, for people without Jupyter.

One process, the standard library's ``http.server`` bound to 127.0.0.1 by default. The page holds a form
with every layer key, a YAML editor and the player; each change is sent to the server, which re-simulates
and returns the new player, or the one-line error the CLI prints (the last good figure stays). "Save YAML"
writes a config file into the folder it was given, never anywhere else; "Download GIF" renders the GIF in
memory. Configs over ``render.max_frames`` are refused as by the CLI. Requests must come from the page
itself: the Host must be the server's, and changes carry a token the page was given (so another site open
in the same browser cannot drive it).
"""

from __future__ import annotations

import html
import json
import re
import secrets
import tempfile
import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ..config import parse_config
from ..config.dump import to_yaml
from ..core.errors import ConvanimError
from ..core.files import write_text_atomic
from .explore import CHOICES, COUNTS, FLAGS, RENDER, SIZES, parse_size
from .pipeline import render, scene_of

MAX_BODY = 1 << 20  # bytes of a request
NAME = re.compile(r"^[\w][\w.-]*\.ya?ml$")
STARTER = "# A new config: edit it here or with the form.\ninput_size: 5\nkernel_size: 3\nstride: 2\npadding: 1\n"

# The form: (key, kind, choices); kinds: size, count, flag, choice, padding, text, number (render keys by name)
FORM: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("title", "text", ()),
    *((k, "size", ()) for k in SIZES[:3]),
    ("padding", "padding", ("0", "1", "2", "3", "same", "valid")),
    *((k, "size", ()) for k in SIZES[3:]),
    *((k, "count", ()) for k in COUNTS),
    *((k, "flag", ()) for k in FLAGS),
    *((k, "choice", v) for k, v in CHOICES.items()),
    ("style", "choice", RENDER["style"] or ()),
    ("numbers", "flag", ()), ("caption", "flag", ()), ("labels", "flag", ()),
    ("reveal", "choice", ("all", "progressive")),
    ("fps", "number", ()),
)
RENDER_FORM = ("style", "numbers", "caption", "labels", "reveal", "fps")


class Refused(ConvanimError):
    """A request the server will not carry out (bad name, outside the folder, too large)."""


@dataclass(slots=True)
class Workspace:
    """The folder the server may read and write, and the config it starts with."""

    root: Path
    start: str  # the file name shown first ("" for a new config)
    token: str = field(default_factory=lambda: secrets.token_urlsafe(16))

    @classmethod
    def of(cls, target: str | Path | None) -> Workspace:
        path = Path(target or ".").resolve()
        if path.is_dir():
            first = sorted(p.name for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
            return cls(root=path, start=first[0] if first else "")
        if not path.exists():
            raise ConvanimError(f"{target}: no such file or folder")
        if path.suffix not in (".yaml", ".yml"):
            raise ConvanimError(f"{target}: expected a .yaml config or a folder of them")
        return cls(root=path.parent, start=path.name)

    def file(self, name: str) -> Path:
        """``root/name`` for a plain config file name; Refused for anything else (paths, other suffixes)."""
        if not isinstance(name, str) or not NAME.match(name):
            raise Refused(f"save: expected a file name like my_layer.yaml, got {name!r}")
        path = (self.root / name).resolve()
        if path.parent != self.root:
            raise Refused(f"save: {name!r} is outside {self.root}")
        return path

    def files(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir() if p.is_file() and NAME.match(p.name))


# ---------------------------------------------------------------- what the page asks for

def form_values(mapping: dict[str, Any]) -> dict[str, Any]:
    """The form's fields from a config mapping (render keys by name; missing keys are empty)."""
    out: dict[str, Any] = {}
    render_keys = mapping.get("render") if isinstance(mapping.get("render"), dict) else {}
    for key, _kind, _choices in FORM:
        value = render_keys.get(key) if key in RENDER_FORM else mapping.get(key)
        out[key] = ", ".join(map(str, value)) if isinstance(value, list) else value
    return out


def field_value(key: str, kind: str, text: Any) -> Any:
    """A form field's text as a config value (None: remove the key, back to its default)."""
    if kind == "flag":
        return bool(text)
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    if kind in ("size", "padding", "count"):
        return parse_size(str(text))
    if kind == "number":
        try:
            return float(text) if "." in str(text) else int(text)
        except ValueError:
            return str(text)
    return str(text)


def with_field(text: str, key: str, value: Any) -> str:
    """The YAML ``text`` with one form field set (the file is rewritten from its mapping)."""
    mapping = yaml.safe_load(text) or {}
    if not isinstance(mapping, dict):
        raise ConvanimError("the YAML is not a mapping of keys; fix it in the editor first")
    kind = {k: kind for k, kind, _ in FORM}.get(key)
    if kind is None:
        raise Refused(f"{key}: not a field of the form")
    value = field_value(key, kind, value)
    target = mapping.setdefault("render", {}) if key in RENDER_FORM else mapping
    if not isinstance(target, dict):
        raise ConvanimError("render: expected a mapping of render options")
    if value is None:
        target.pop(key, None)
    else:
        target[key] = value
    if key in RENDER_FORM and not target:
        mapping.pop("render")
    return to_yaml(mapping)


def rendered(text: str, source: str) -> dict[str, Any]:
    """The player for YAML ``text``, or the one-line error; and the form's values."""
    from ..encode.html import fragment

    try:
        mapping = yaml.safe_load(text)
    except yaml.YAMLError:
        mapping = None
    values = form_values(mapping) if isinstance(mapping, dict) else {}
    layers = isinstance(mapping, dict) and "layers" in mapping
    try:
        config = parse_config(text, source=source, default_name=Path(source).stem or "convanim")
        scene = scene_of(config)
    except ConvanimError as err:
        return {"ok": False, "error": f"error: {err}", "values": values, "layers": layers}
    return {"ok": True, "player": fragment(scene, config.render, code=False), "title": config.title,
            "frames": scene.n_frames, "values": values, "layers": layers}


def gif_of(text: str, source: str) -> tuple[str, bytes]:
    """(file name, GIF bytes) of YAML ``text``, rendered in a temporary folder."""
    import dataclasses

    config = parse_config(text, source=source, default_name=Path(source).stem or "convanim")
    with tempfile.TemporaryDirectory(prefix="convanim-serve-") as tmp:
        [path] = render(dataclasses.replace(config, name="figure"), tmp, ["gif"])
        return f"{config.name}.gif", path.read_bytes()


# ---------------------------------------------------------------- the page

def page(space: Workspace) -> str:
    """The editor page: form, YAML editor, player; the player's and the editor's code inline."""
    from ..encode.html import player_code

    folder = resources.files("convanim.app") / "serve"
    css, js = (folder / "serve.css").read_text(encoding="utf-8"), (folder / "serve.js").read_text(encoding="utf-8")
    player_css, player_js = player_code()
    boot = json.dumps({"token": space.token, "form": [list(f) for f in FORM], "files": space.files(),
                       "start": space.start, "folder": str(space.root), "starter": STARTER}).replace("</", "<\\/")
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>convanim serve: {html.escape(space.root.name or str(space.root))}</title>
<style>{css}{player_css}</style>
</head>
<body>
<header><h1>convanim serve</h1><p>Folder: <code>{html.escape(str(space.root))}</code></p></header>
<main>
<section class="edit" aria-label="Config">
<div class="files"><label>Config <select id="file"></select></label>
<label>Save as <input id="save-name" size="22" spellcheck="false"></label>
<button type="button" id="save">Save YAML</button> <button type="button" id="gif">Download GIF</button></div>
<p id="saved" role="status"></p>
<form id="form" aria-label="Layer keys"></form>
<label class="yaml-label" for="yaml">YAML</label>
<textarea id="yaml" spellcheck="false" rows="16"></textarea>
</section>
<section class="view" aria-label="Figure">
<p id="error" role="alert"></p>
<div id="player"></div>
</section>
</main>
<script type="application/json" id="boot">{boot}</script>
<script>{player_js}</script>
<script>{js}</script>
</body>
</html>
"""


# ---------------------------------------------------------------- HTTP

class Handler(BaseHTTPRequestHandler):
    """GET / (the page), GET /api/file?name=; POST /api/render, /api/set, /api/save, /api/gif (JSON bodies)."""

    space: Workspace  # set on the server's subclass
    server_version = "convanim"

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the terminal shows the URL only
        return

    def allowed(self) -> bool:
        host = self.headers.get("Host", "")
        port = self.server.server_address[1]
        bound = self.server.server_address[0]
        ok_hosts = {f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}", f"{bound}:{port}"}
        if host not in ok_hosts:
            self.reply(HTTPStatus.FORBIDDEN, {"ok": False, "error": "error: unexpected Host"})
            return False
        return True

    def do_GET(self) -> None:
        if not self.allowed():
            return
        path, _, query = self.path.partition("?")
        if path == "/":
            self.send(HTTPStatus.OK, page(self.space).encode(), "text/html; charset=utf-8")
        elif path == "/api/file":
            from urllib.parse import parse_qs

            name = parse_qs(query).get("name", [""])[0]
            try:
                text = self.space.file(name).read_text(encoding="utf-8")
            except (Refused, OSError) as err:
                self.reply(HTTPStatus.BAD_REQUEST, {"ok": False, "error": f"error: {err}"})
                return
            self.reply(HTTPStatus.OK, {"ok": True, "name": name, "yaml": text})
        else:
            self.send(HTTPStatus.NOT_FOUND, b"not found", "text/plain")

    def do_POST(self) -> None:
        if not self.allowed():
            return
        body = self.body()
        if body is None:
            return
        try:
            self.post(self.path, body)
        except (ConvanimError, yaml.YAMLError) as err:
            message = str(err).splitlines()[0]
            self.reply(HTTPStatus.OK, {"ok": False, "error": f"error: {message}"})

    def body(self) -> dict[str, Any] | None:
        if self.headers.get("X-Convanim-Token") != self.space.token:
            self.reply(HTTPStatus.FORBIDDEN, {"ok": False, "error": "error: this page is not the server's"})
            return None
        size = int(self.headers.get("Content-Length") or 0)
        if size > MAX_BODY:
            self.reply(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"ok": False, "error": "error: request too large"})
            return None
        try:
            data = json.loads(self.rfile.read(size) or b"{}")
        except ValueError:
            data = None
        if not isinstance(data, dict) or not isinstance(data.get("yaml", ""), str):
            self.reply(HTTPStatus.BAD_REQUEST, {"ok": False, "error": "error: expected a JSON object"})
            return None
        return data

    def post(self, path: str, data: dict[str, Any]) -> None:
        text, source = data.get("yaml", ""), self.source(data.get("name"))
        if path == "/api/render":
            self.reply(HTTPStatus.OK, rendered(text, source))
        elif path == "/api/set":
            text = with_field(text, str(data.get("key")), data.get("value"))
            self.reply(HTTPStatus.OK, {**rendered(text, source), "yaml": text})
        elif path == "/api/save":
            target = self.space.file(data.get("name", ""))
            parse_config(text, source=target.name)  # never save a config the CLI would refuse
            write_text_atomic(target, text)
            self.reply(HTTPStatus.OK, {"ok": True, "saved": target.name, "files": self.space.files()})
        elif path == "/api/gif":
            name, gif = gif_of(text, source)
            self.send(HTTPStatus.OK, gif, "image/gif", {"Content-Disposition": f'attachment; filename="{name}"'})
        else:
            self.send(HTTPStatus.NOT_FOUND, b"not found", "text/plain")

    def source(self, name: Any) -> str:
        return name if isinstance(name, str) and NAME.match(name) else "<editor>"

    def reply(self, status: HTTPStatus, payload: dict[str, Any]) -> None:
        self.send(status, json.dumps(payload).encode(), "application/json")

    def send(self, status: HTTPStatus, data: bytes, kind: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)


def make_server(target: str | Path | None, host: str = "127.0.0.1", port: int = 8000) -> ThreadingHTTPServer:
    """The server for a config file or a folder (not yet serving); ``port=0`` picks a free port."""
    space = Workspace.of(target)
    handler = type("BoundHandler", (Handler,), {"space": space})
    try:
        server = ThreadingHTTPServer((host, port), handler)
    except OSError as err:
        raise ConvanimError(f"serve: cannot listen on {host}:{port}: {err.strerror or err}") from None
    server.daemon_threads = True
    return server


def serve_forever(server: ThreadingHTTPServer, ready: threading.Event | None = None) -> None:
    """Serve until ``server.shutdown()`` (or Ctrl-C in the caller)."""
    if ready is not None:
        ready.set()
    server.serve_forever(poll_interval=0.2)
