"""One process-wide limit on how many images are decoded at once.

A decoded image costs width x height x 4 bytes (RGBA) however small its file: a 144 KB PNG
of 5760x5760 is about 130 MB, and every copy the pipeline makes costs as much again. Requests,
jobs and the generator all decode in threads, so without a limit N concurrent visitors or
uploads cost N decodes at once (measured: 8 avatar uploads took a server from 120 MB to 2.6
GB). With a slot held for the whole life of a decoded image, the memory the pipeline can use
is about `slots x (largest accepted image)`, whatever arrives.

Synchronous on purpose: every Pillow decode runs in a worker thread (asyncio.to_thread), and
a threading semaphore bounds them whichever event loop or thread started them. A waiting
caller blocks its thread, not the event loop.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import cast

DEFAULT_SLOTS = 2

_lock = threading.Lock()
_slots = threading.BoundedSemaphore(DEFAULT_SLOTS)
_size = DEFAULT_SLOTS
_busy = 0
_most_busy = 0  # high-water mark of _busy, for tests and diagnostics


def configure(slots: int) -> None:
    """Size the limit (`[media] decode_concurrency`); call at start, before any decode."""
    global _slots, _size
    if slots < 1:
        raise ValueError("at least one decode slot is needed")
    with _lock:
        if slots != _size:
            _slots, _size = threading.BoundedSemaphore(slots), slots


def size() -> int:
    return _size


def most_busy(reset: bool = False) -> int:
    """The most decodes that ran at once (since the last reset)."""
    global _most_busy
    with _lock:
        found = _most_busy
        if reset:
            _most_busy = _busy
    return found


@contextmanager
def decode_slot() -> Iterator[None]:
    """Hold one slot while an image is decoded and processed (not re-entrant)."""
    global _busy, _most_busy
    slots = _slots
    slots.acquire()
    with _lock:
        _busy += 1
        _most_busy = max(_most_busy, _busy)
    try:
        yield
    finally:
        with _lock:
            _busy -= 1
        slots.release()
        _return_memory()


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name) if name else None
    except OSError:
        return None


def _function(name: str, *argtypes: type) -> Callable[..., int] | None:
    function = getattr(_LIBC, name, None) if _LIBC is not None else None
    if function is None:
        return None
    function.argtypes, function.restype = list(argtypes), ctypes.c_int
    return cast(Callable[..., int], function)


_LIBC = _libc()
_malloc_trim = _function("malloc_trim", ctypes.c_size_t)
_mallopt = _function("mallopt", ctypes.c_int, ctypes.c_int)
M_MMAP_THRESHOLD = -3  # glibc's malloc.h
MMAP_THRESHOLD = 4 * 1024 * 1024


def _keep_large_blocks_mapped() -> None:
    """Pillow allocates pixels in 16 MB blocks. glibc maps such blocks (and unmaps them when
    freed) only until the first is freed: then its threshold rises to 32 MB and later blocks
    come from the worker threads' arenas, which keep them. A fixed threshold (this also
    stops the rise) keeps every block returned to the system when its image goes."""
    if _mallopt is not None:
        _mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)


def _return_memory() -> None:
    """Give freed memory in the arenas back to the system after each decode: without this
    (and the fixed threshold) a server that decoded 8 images held 1.5 GB it no longer used.
    A no-op where there is no malloc_trim (musl, macOS)."""
    if _malloc_trim is not None:
        _malloc_trim(0)


_keep_large_blocks_mapped()
