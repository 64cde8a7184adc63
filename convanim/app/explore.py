"""explore(): a live widget for Jupyter: a control for every layer key, the player beneath, redrawn on each change.

``convanim.explore("configs/padding_strides.yaml")`` (or keyword arguments, or a Config) shows sliders and
menus for the layer's keys (sizes, kernel, stride, padding with ``same`` / ``valid``, dilation, transposed,
output_padding, channels, groups, bias, padding_mode, op, ...) and the render style, numbers and caption.
Every change re-simulates and redraws the player; an invalid combination shows the one-line message the
CLI prints and keeps the last good figure; "YAML" shows the config as a file. Needs ipywidgets
(``pip install 'convanim[notebook]'``). The state is plain Python, so it can be driven from code too:
``ex.set(stride=2)``, ``ex.scene``, ``ex.error``, ``ex.yaml``.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..config import Config
from ..config.dump import to_yaml
from ..config.load import config_from_mapping
from ..core.errors import ConvanimError
from ..core.options import Style
from ..core.scene import Scene
from ..core.spec import Op, PaddingMode
from .pipeline import as_config, scene_of

SIZES = ("input_size", "kernel_size", "stride", "dilation", "output_padding")  # int sliders (or text for lists)
COUNTS = ("in_channels", "out_channels", "groups")
FLAGS = ("transposed", "bias", "ceil_mode", "count_include_pad", "flip_kernel")
CHOICES = {"padding_mode": tuple(m.value for m in PaddingMode), "op": tuple(o.value for o in Op)}
RENDER = {"style": tuple(s.value for s in Style), "numbers": None, "caption": None}
LIMITS = {"input_size": (1, 32), "kernel_size": (1, 9), "stride": (1, 6), "dilation": (1, 6), "output_padding": (0, 5),
          "in_channels": (1, 16), "out_channels": (1, 16), "groups": (1, 16)}


def parse_size(text: str) -> Any:
    """"3" -> 3, "3, 2" -> [3, 2], "same" -> "same"; anything else as typed (the config check names it)."""
    text = text.strip()
    parts = [p.strip() for p in text.strip("[]()").split(",") if p.strip()]
    try:
        values = [int(p) for p in parts]
    except ValueError:
        return text
    return values[0] if len(values) == 1 and "," not in text and "[" not in text else values


class Explorer:
    """The widget's state: the config's mapping, the last good scene and player, and the error if any."""

    def __init__(self, config: Config):
        if config.layers:
            raise ConvanimError(f"{config.source}: explore takes one layer; a layers: config is drawn with "
                                "convanim.show or convanim serve")
        self.mapping: dict[str, Any] = {k: v for k, v in config.raw.items()}
        self.config = config
        self.scene: Scene = scene_of(config)
        self.html = self.player()
        self.error: str | None = None
        self.redraw_ms = 0.0
        self.widget: Any = None
        self.controls: dict[str, Any] = {}
        self.one_d: dict[str, bool] = {}  # size keys given as a list of one int: a 1-D layer

    # ---------------------------------------------------------------- the model
    @property
    def yaml(self) -> str:
        return to_yaml(self.mapping)

    def player(self) -> str:
        from ..encode.html import fragment

        return fragment(self.scene, self.config.render)

    def set(self, **keys: Any) -> Explorer:
        """Change config keys (``render`` keys by their names: style, numbers, caption) and redraw."""
        for key, value in keys.items():
            if key in RENDER:
                self.mapping["render"] = {**(self.mapping.get("render") or {}), key: value}
            else:
                self.mapping[key] = value
        self.redraw()
        return self

    def redraw(self) -> None:
        """Re-simulate and redraw; on a bad combination keep the last good figure and record the message."""
        start = time.perf_counter()
        try:
            config = self.build()
            scene = scene_of(config)
        except ConvanimError as err:
            self.error = f"error: {err}"
        else:
            self.config, self.scene, self.error = config, scene, None
            self.html = self.player()
        self.redraw_ms = (time.perf_counter() - start) * 1000
        self.show()

    def build(self) -> Config:
        """The config of the current keys; data given as lists that no longer fit fall back to seeded data."""
        mapping = dict(self.mapping)
        try:
            return config_from_mapping(mapping, source="<explore>", default_name=self.config.name)
        except ConvanimError as err:
            stale = [k for k in ("input", "weight", "bias") if isinstance(mapping.get(k), list)]
            if getattr(err, "key", None) not in stale:
                raise
            config = config_from_mapping({k: v for k, v in mapping.items() if k not in stale}, source="<explore>",
                                         default_name=self.config.name)
            return replace(config, raw=mapping)

    # ---------------------------------------------------------------- the widget
    def show(self) -> None:
        if self.widget is None:
            return
        self.message.value = (f'<span style="color:#cf222e;font-family:monospace">{_escape(self.error)}</span>'
                              if self.error else "")
        self.out.outputs = ({"output_type": "display_data", "data": {"text/html": self.html, "text/plain":
                                                                     self.config.title}, "metadata": {}},)
        self.yaml_box.value = self.yaml

    def build_widget(self) -> Any:
        """The ipywidgets box: the controls, the message line, the player, and the YAML."""
        try:
            import ipywidgets as w
        except ImportError:
            raise ConvanimError("explore needs ipywidgets: pip install 'convanim[notebook]'") from None
        spec, render = self.config.spec, self.config.render
        for key in SIZES:
            value = self.mapping.get(key, getattr(spec, key))
            self.controls[key] = self.size_control(w, key, value)
        self.controls["padding"] = w.Combobox(value=_text(self.mapping.get("padding", 0)), description="padding",
                                              options=["0", "1", "2", "3", "same", "valid"], ensure_option=False,
                                              continuous_update=False)
        for key in COUNTS:
            low, high = LIMITS[key]
            self.controls[key] = w.IntSlider(value=int(getattr(spec, key)), min=low, max=max(high, getattr(spec, key)),
                                             description=key)
        for key in FLAGS:
            self.controls[key] = w.Checkbox(value=bool(getattr(spec, key)), description=key, indent=False)
        for key, options in CHOICES.items():
            self.controls[key] = w.Dropdown(options=options, value=getattr(spec, key).value, description=key)
        for key, options in RENDER.items():
            value = getattr(render, key)
            self.controls[key] = (w.Dropdown(options=options, value=value.value, description=key) if options
                                  else w.Checkbox(value=bool(value), description=key, indent=False))
        for key, control in self.controls.items():
            control.observe(lambda change, key=key: self.changed(key, change["new"]), names="value")
        self.message, self.out = w.HTML(), w.Output()
        self.yaml_box = w.Textarea(value=self.yaml, disabled=True, layout=w.Layout(width="100%", height="14em"))
        self.yaml_box.layout.display = "none"
        toggle = w.ToggleButton(description="YAML", tooltip="Show the config as a YAML file")
        toggle.observe(lambda change: setattr(self.yaml_box.layout, "display", None if change["new"] else "none"),
                       names="value")
        self.yaml_button = toggle
        grid = w.GridBox(list(self.controls.values()), layout=w.Layout(
            grid_template_columns="repeat(auto-fill, minmax(20rem, 1fr))"))
        self.widget = w.VBox([grid, w.HBox([toggle, self.message]), self.out, self.yaml_box])
        self.show()
        return self.widget

    def size_control(self, w: Any, key: str, value: Any) -> Any:
        """A slider for one size (a 1-D layer's too), a text field for different sizes per axis ("5, 7")."""
        if isinstance(value, (list, tuple)) and (len(value) == 1 or (len(set(value)) == 1 and key != "input_size")):
            self.one_d[key] = len(value) == 1
            value = value[0]
        if isinstance(value, int) and not isinstance(value, bool):
            low, high = LIMITS[key]
            return w.IntSlider(value=value, min=low, max=max(high, value), description=key)
        return w.Text(value=_text(value), description=key, continuous_update=False)

    def changed(self, key: str, value: Any) -> None:
        if isinstance(value, str) and key not in CHOICES and key not in RENDER:
            value = parse_size(value)
        if self.one_d.get(key) and isinstance(value, int):
            value = [value]
        self.set(**{key: value})

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget if self.widget is not None else self.build_widget())

    def __repr__(self) -> str:
        return f"<convanim.Explorer {self.config.name!r}: {self.error or 'ok'}>"


def _text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    return str(value)


def _escape(text: str | None) -> str:
    import html

    return html.escape(text or "")


def explore(config: Config | str | Path | None = None, /, **keys: Any) -> Explorer:
    """A live widget for Jupyter: a control for every layer key, the player beneath (see ``Explorer``).

    ``config``: a Config, a path, YAML text, or config keys as keyword arguments.
    """
    explorer = Explorer(as_config(config, **keys))
    explorer.build_widget()
    return explorer
