"""esign domain core: pure Python (stdlib, attrs, python-stdnum), no I/O.

Aggregates live in :mod:`esign_core.model`, ports in :mod:`esign_core.ports`,
use cases in :mod:`esign_core.services`, in-memory fakes in :mod:`esign_core.testing`.
"""

__version__ = "0.1.0"
