"""homodyne_rs."""
from ._native import __version__
