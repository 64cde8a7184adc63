"""Stage 5: encoders. One module per output format, each streaming and atomic; the registry names them.

The writers take RGB frames (``write_gif``, ``write_apng``, ...); each format module's ``save`` takes a Scene.
"""

from .common import EncodeError
from .registry import Format, by_suffix, formats, get, names, register

__all__ = ["EncodeError", "Format", "by_suffix", "formats", "get", "names", "register"]
