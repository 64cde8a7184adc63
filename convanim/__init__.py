"""convanim: animate any PyTorch convolution, pooling or transposed convolution, exactly as PyTorch computes it.

    >>> from convanim import ConvSpec, load_config, simulate
    >>> spec = ConvSpec(input_size=5, kernel_size=3, stride=2, padding=1)
    >>> spec.output_size
    (3, 3)

Heavy modules load on first use, so ``import convanim`` stays fast.
"""

from __future__ import annotations

import sys
from importlib import import_module
from types import ModuleType
from typing import Any

from ._version import __version__

_EXPORTS = {
    "ConvSpec": "spec",
    "SpecError": "spec",
    "ConvanimError": "errors",
    "Config": "config",
    "ConfigError": "config",
    "load_config": "api",
    "simulate": "engine",
    "Trace": "engine",
    "Step": "engine",
    "render": "api",
    "show": "api",
    "RenderOptions": "options",
    "from_torch": "torch_bridge",  # torch is imported only when this is first used
    "to_yaml": "config_yaml",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'convanim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


# ``convanim.render`` names both the verb (``api.render``) and the renderers subpackage, and importing the
# subpackage would make the package attribute the module. Keep the attribute a callable that is the verb
# when called and the subpackage for attribute access (so ``import convanim.render.raster`` still works).
class _RenderVerb:
    __name__ = __qualname__ = "convanim.render"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from .api import render

        return render(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(import_module("convanim.render"), name)

    @property
    def __wrapped__(self) -> Any:  # inspect.signature and help() show api.render's
        from .api import render

        return render

    @property
    def __doc__(self) -> str | None:  # type: ignore[override]
        return self.__wrapped__.__doc__

    def __repr__(self) -> str:
        return "<function convanim.render (the verb; attributes: the convanim.render subpackage)>"


class _Package(ModuleType):
    def __setattr__(self, name: str, value: Any) -> None:
        if name == "render" and isinstance(value, ModuleType):
            return  # the import system records the subpackage here: keep the verb
        super().__setattr__(name, value)


render = _RenderVerb()
sys.modules[__name__].__class__ = _Package
