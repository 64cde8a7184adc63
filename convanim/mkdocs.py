"""The MkDocs plugin's public name: ``plugins: [convanim]`` in mkdocs.yml (``pip install 'convanim[mkdocs]'``;
the plugin is in app.mkdocs)."""

from .app.mkdocs import ConvanimPlugin

__all__ = ["ConvanimPlugin"]
