"""Work done on another core: a function run in a forked child process while this one goes on.

Building a check's outputs is Python work that holds the GIL (text of a workbook, maps drawn with matplotlib),
so threads would take turns; a forked child inherits the result already in memory (nothing is copied or
pickled on the way in) and sends back only what it made. Where fork is not available (Windows) or the
machine has one core, the function simply runs in this process when its result is asked for.

Warnings the function gives in the child are given again here, and an exception it raises is raised here.

Example
-------
>>> job = Forked(lambda: sum(range(10)))
>>> job.result()
45
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import signal
import warnings
from collections.abc import Callable


def can_fork() -> bool:
    """Whether work can go to a forked child: a POSIX system with more than one core."""
    return hasattr(os, "fork") and (os.cpu_count() or 1) > 1


class Forked:
    """Run ``fn()`` in a forked child now; :meth:`result` waits for it and returns its value.

    The value must be picklable (bytes, dicts, DataFrames). Use it for work that reads data already in
    memory and returns a result, not for work with side effects on this process.
    """

    def __init__(self, fn: Callable[[], object]):
        self._fn = fn
        self._pid = None
        if not can_fork():
            return
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: do the work, send it back, leave without running this process's cleanup
            os.close(read)
            # the parent's objects are left out of the child's collections: walking them would write to every
            # page of the inherited heap (copying it, page by page) only to find nothing to free
            gc.freeze()
            code = 0
            try:
                with warnings.catch_warnings(record=True) as said:
                    warnings.simplefilter("always")
                    value = fn()
                payload = pickle.dumps(("ok", value, [(w.message, w.category) for w in said]))
            except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent
                try:
                    payload = pickle.dumps(("error", exc, []))
                except Exception:  # an exception that cannot be pickled: its text
                    payload = pickle.dumps(("error", RuntimeError(f"{type(exc).__name__}: {exc}"), []))
                code = 1
            try:
                with os.fdopen(write, "wb") as out:
                    out.write(payload)
            except BaseException:  # noqa: BLE001 - the parent went away (a closed pipe): nothing to tell it
                code = 1
            finally:
                os._exit(code)    # never back into the parent's code
        os.close(write)
        self._pid, self._read = pid, read

    def cancel(self) -> None:
        """Stop the child (if it still runs) and forget its result: for work no longer wanted."""
        if self._pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self._pid, signal.SIGKILL)
        os.waitpid(self._pid, 0)
        os.close(self._read)
        self._pid = None

    def result(self):
        """The function's value (its warnings given again here); its exception raised here."""
        if self._pid is None:
            return self._fn()
        with os.fdopen(self._read, "rb") as f:
            data = f.read()
        os.waitpid(self._pid, 0)
        self._pid = None
        if not data:
            raise RuntimeError("the child process building an output ended without a result")
        status, value, said = pickle.loads(data)
        for message, category in said:
            warnings.warn(message, category, stacklevel=2)
        if status == "error":
            raise value
        return value
