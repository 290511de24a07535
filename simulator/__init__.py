"""insi-harness simulator: a wire-faithful INSi teleservice."""

__version__ = "0.1.0"
