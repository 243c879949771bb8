"""Running pyHanko's coroutines from blocking code.

``asyncio.run`` in the main thread installs a SIGINT handler, and Python 3.11's ``signal.signal``
builds (and throws away) an error message containing ``repr()`` of that handler — which reaches
the task and the arguments of the coroutine. For a 21 MB document that ``repr`` of the PDF bytes
cost ~300 ms per signature (profiled). :func:`run` is ``asyncio.run`` without the signal handling:
a private event loop, async generators and the default executor (``asyncio.to_thread``) shut down
before the loop is closed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coro)
    finally:
        try:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            loop.close()
