"""Conformance fixtures: the independent commercetools emulator (@labdigital/commercetools-mock 4.4.0).

One emulator process serves the whole test session (it starts in about a second). Tests stay
independent without clearing it: every test gets its own project key (the emulator creates a
project on first use), and the Airflow connection ``commercetools_default`` points at it through
``AIRFLOW_CONN_COMMERCETOOLS_DEFAULT``. The 20,000-category collection is seeded once per session in
a project of its own and only read.

If the emulator is not installed (``emulator/node_modules`` missing) every test here FAILS (not
skips) with the launcher's message, which says to run ``npm ci --prefix emulator``.

Results are checked with plain HTTP requests (:class:`RawApi`), never only through the provider
under test.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

import pytest

from emulator import Emulator, EmulatorError
from tests.conformance.support import (
    CONNECTION_ENV,
    EXPORT_COUNT,
    EXPORT_PROJECT,
    Project,
    connection_json,
)

_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    """The emulator process, started once per session, stopped at its end."""
    emu = Emulator(project_key="conformance")
    try:
        emu.start()
        problem = ""
    except EmulatorError as error:
        problem = str(error)
    if problem:
        # Not a skip: the README's test command installs the emulator, so a missing one is a failure.
        pytest.fail(f"the commercetools emulator could not start: {problem}", pytrace=False)
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def project(emulator: Emulator, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Project:
    """A project of its own for this test; ``commercetools_default`` points at it."""
    name = re.sub(r"[^a-z0-9-]+", "-", request.node.name.lower()).strip("-")[:28]
    key = f"t{next(_numbers)}-{name}".rstrip("-")
    monkeypatch.setenv(CONNECTION_ENV, connection_json(emulator, key))
    return Project(emulator, key)


@pytest.fixture(scope="session")
def export_ids(emulator: Emulator) -> list[str]:
    """20,000 categories in EXPORT_PROJECT (keys c00000...c19999), seeded in-process once; their ids."""
    drafts = (
        {"key": f"c{i:05d}", "name": {"en": f"Category {i}"}, "slug": {"en": f"category-{i}"}}
        for i in range(EXPORT_COUNT)
    )
    ids = emulator.seed("category", drafts, project_key=EXPORT_PROJECT)
    assert len(ids) == len(set(ids)) == EXPORT_COUNT
    return ids


@pytest.fixture
def export_project(emulator: Emulator, export_ids: list[str], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """``commercetools_default`` pointing at the 20,000-category project; returns the ids."""
    monkeypatch.setenv(CONNECTION_ENV, connection_json(emulator, EXPORT_PROJECT))
    return export_ids
