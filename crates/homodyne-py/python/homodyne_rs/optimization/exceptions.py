"""The exceptions of ``homodyne_rs.optimization``, where the Python ``homodyne`` package
has them (``homodyne.optimization.exceptions``).

These are the classes of :mod:`homodyne_rs.exceptions` themselves (not copies), so an
``except`` clause written with either import catches the same errors.

Examples
--------
>>> import homodyne_rs.exceptions
>>> from homodyne_rs.optimization.exceptions import NLSQCheckpointError
>>> NLSQCheckpointError is homodyne_rs.exceptions.NLSQCheckpointError
True
"""

# The same classes, under the same names.
from ..exceptions import *  # noqa: F403
from ..exceptions import __all__  # noqa: F401
