"""The one thing pyproject.toml cannot say: an optional C accelerator for GIF's per-frame
loops (convanim/encode/_gif.c: which pixels changed, and LZW).

It is optional: where it cannot be built (no C compiler), the install goes on and convanim encodes the same
bytes in Python, more slowly."""

from setuptools import Extension, setup

setup(ext_modules=[Extension("convanim.encode._gif", ["convanim/encode/_gif.c"], optional=True)])
