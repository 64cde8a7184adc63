"""Stage 2: ``simulate`` a layer step by step in numpy (a ``Trace``), and receptive fields across layers."""

from .simulate import Grid, Role, Step, Trace, drawn_grid, simulate

__all__ = ["Grid", "Role", "Step", "Trace", "drawn_grid", "simulate"]
