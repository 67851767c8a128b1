"""Client internals that the HTTP tests (tests/hooks) cannot see."""

from __future__ import annotations

import gc

from airflow_provider_commercetools.commercetools.client import _cyclic_gc_paused


def test_gc_pause_is_restored_and_nests():
    assert gc.isenabled()
    with _cyclic_gc_paused():
        assert not gc.isenabled()
        with _cyclic_gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with _cyclic_gc_paused():
            pass
        assert not gc.isenabled()  # a collector the user disabled stays disabled
    finally:
        gc.enable()
