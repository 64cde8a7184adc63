"""Stage 6, what users touch: the render pipeline, batches, the gallery, notebooks, Sphinx and the CLI."""
