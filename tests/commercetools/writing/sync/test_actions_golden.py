"""Golden tests of the sync's action builders: (draft, current resource) -> the expected update actions.

Cases are JSON files under ``golden/`` (one per resource type; each case a draft, the current
resource, the expected actions, optionally the synced field groups or the refusal expected). Each
case is also a round trip: the expected actions applied to the current resource by a small model of
the API (``model.py``) give a resource that the builder finds equal to the draft (no actions).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_commercetools.commercetools.writing.sync import RefusedChange, sync_type
from tests.commercetools.writing.sync.model import KeyContext, apply_actions

GOLDEN = Path(__file__).parent / "golden"


def _cases() -> list[Any]:
    params = []
    for path in sorted(GOLDEN.glob("*.json")):
        data = json.loads(path.read_text())
        for case in data["cases"]:
            params.append(pytest.param(data, case, id=f"{path.stem}:{case['name']}"))
    return params


CASES = _cases()


Actions = list[dict[str, Any]]


def _build(data: dict[str, Any], case: dict[str, Any], current: dict[str, Any], ctx: KeyContext) -> Actions:
    sync = sync_type(data["type"])
    if case.get("options"):
        sync = sync.with_options(**case["options"])
    groups = frozenset(case["groups"]) if case.get("groups") is not None else None
    return sync.build_actions(case["draft"], current, ctx, groups)


@pytest.mark.parametrize(("data", "case"), CASES)
def test_golden_actions(data: dict[str, Any], case: dict[str, Any]) -> None:
    ctx = KeyContext(data.get("refs"))
    if "refused" in case:
        with pytest.raises(RefusedChange, match=case["refused"]):
            _build(data, case, case["current"], ctx)
        return
    assert _build(data, case, case["current"], ctx) == case["actions"]


@pytest.mark.parametrize(("data", "case"), [c for c in CASES if "refused" not in c.values[1]])
def test_applied_actions_converge(data: dict[str, Any], case: dict[str, Any]) -> None:
    """The actions applied to the current resource give one equal to the draft: a second diff is empty."""
    ctx = KeyContext(data.get("refs"))
    applied = apply_actions(case["current"], case["actions"], ctx)
    assert _build(data, case, applied, ctx) == []


def test_every_type_has_golden_cases() -> None:
    from airflow_provider_commercetools.commercetools.writing.sync import SYNC_TYPES

    covered = {json.loads(p.read_text())["type"] for p in GOLDEN.glob("*.json")}
    assert set(SYNC_TYPES) <= covered
