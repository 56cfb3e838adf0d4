"""Pause Python's cyclic garbage collector around bulk object creation."""
import gc
from contextlib import contextmanager


@contextmanager
def gc_paused():
    """Pause the cyclic GC while millions of objects are made that all stay alive:
    with a large heap it would otherwise run over and over for nothing."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
