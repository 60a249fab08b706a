"""The NLSQ wrapper: :class:`~homodyne_rs.optimization.nlsq.wrapper.NLSQWrapper`."""

from .wrapper import NLSQWrapper, OptimizationResult

__all__ = ["NLSQWrapper", "OptimizationResult"]
