"""PNG: one frame as a PNG, or every frame as ``NAME/frame00000.png`` in a folder swapped in atomically."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from PIL import Image

from ..core.errors import WriteError
from ..core.files import atomic_path, ensure_dir, signals_deferred, temp_name, umask
from ..core.options import RenderOptions
from ..core.scene import Scene
from .common import EncodeError, frames_for, frames_of


def write_png(path: str | os.PathLike[str], frame: np.ndarray) -> Path:
    """One frame as a PNG (e.g. ``--step``)."""
    frame = next(frames_of([frame], alpha=True))
    path = Path(path)
    with atomic_path(path) as tmp:
        Image.fromarray(frame).save(tmp, format="PNG", compress_level=6)
    return path


def write_png_frames(directory: str | os.PathLike[str], frames: Iterable[np.ndarray], *,
                     prefix: str = "frame") -> Path:
    """``directory/{prefix}00000.png``, ... built in a temporary folder, then moved into place.

    An existing ``directory`` is replaced only at the end and only if it holds nothing but such frames
    (otherwise EncodeError, so unrelated files are never deleted).
    """
    directory = Path(directory)
    pattern = re.compile(rf"{re.escape(prefix)}\d+\.png")
    if directory.exists() and (not directory.is_dir() or any(
            not pattern.fullmatch(p.name) for p in directory.iterdir())):
        raise EncodeError(f"{directory} exists and is not a folder of {prefix}NNNNN.png frames; "
                          "not replacing it")
    ensure_dir(directory.parent)
    tmp = directory.parent / temp_name(directory.name)  # named before it exists; swept if we are killed
    while tmp.exists():
        tmp = directory.parent / temp_name(directory.name)
    try:
        tmp.mkdir()
        for i, frame in enumerate(frames_of(frames, alpha=True)):
            Image.fromarray(frame).save(tmp / f"{prefix}{i:05d}.png", compress_level=6)
        os.chmod(tmp, 0o777 & ~umask())
        with signals_deferred():  # the swap is two renames: never stop between them
            old = None
            if directory.exists():
                old = directory.parent / temp_name(directory.name, kind="old")
                os.replace(directory, old)
            os.replace(tmp, directory)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
    except OSError as err:
        shutil.rmtree(tmp, ignore_errors=True)
        raise WriteError(directory, err) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return directory


def save(scene: Scene, path: Path, *, options: RenderOptions, step: int | None = None) -> Path:
    """Frame ``step`` as one PNG file, or every frame into the folder ``path``."""
    if step is not None:
        return write_png(path, next(frames_for(scene, options, step)))
    return write_png_frames(path, frames_for(scene, options))
