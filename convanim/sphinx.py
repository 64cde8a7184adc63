"""The Sphinx extension's public name: ``extensions = ["convanim.sphinx"]`` (the directive is in app.sphinx)."""

from .app.sphinx import ConvanimDirective, setup

__all__ = ["ConvanimDirective", "setup"]
