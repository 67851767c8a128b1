"""The independent commercetools emulator (@labdigital/commercetools-mock), started from Python.

Used by the conformance tests (tests/conformance) and the demo (scripts/demo.py).
"""

from __future__ import annotations

from emulator.launcher import EMULATOR_DIR, Emulator, EmulatorError

__all__ = ["EMULATOR_DIR", "Emulator", "EmulatorError"]
