"""Stage 0, the vocabulary every stage shares: the layer spec and its size arithmetic, render options, themes,
Scene primitives, text metrics, errors and atomic files. Imports nothing else of convanim."""
