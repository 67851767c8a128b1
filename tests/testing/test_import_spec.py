"""The fake Import API against the spec: resource types, states, endpoints, query parameters, scopes, limits.

Two sources, neither copied into the repository (the spec's RAML may not be vendored here):

- ``import_spec_facts.json`` (beside this file): the facts the fake claims, each with the spec file
  (commercetools/commercetools-api-reference ``api-specs/import/...`` at the commit it names) or docs
  page it was read from; ``scripts/check_import_spec.py PATH`` compares it with a checkout of the spec;
- the npm package ``@commercetools/importapi-sdk`` (a devDependency in emulator/package.json,
  installed by ``npm ci --prefix emulator``): TypeScript types that commercetools generates from the
  same RAML, so a newer SDK pinned there shows a spec change (a new resource type or state, a new
  query parameter, a new endpoint) as a failing test here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_commercetools.testing.fake import import_containers, import_model

HERE = Path(__file__).resolve().parent
FACTS = json.loads((HERE / "import_spec_facts.json").read_text(encoding="utf-8"))
SDK = HERE.parents[1] / "emulator" / "node_modules" / "@commercetools" / "importapi-sdk"
GENERATED = SDK / "dist" / "declarations" / "src" / "generated"


def fact(name: str) -> Any:
    return FACTS["facts"][name]["value"]


# ------------------------------------------------------------------------------- fake vs facts


def test_every_fact_names_its_source():
    assert re.fullmatch(r"[0-9a-f]{40}", FACTS["commit"])
    for name, entry in FACTS["facts"].items():
        assert entry["source"].startswith(("spec api-specs/import/", "docs https://docs.commercetools.com/")), name


def test_the_fakes_resource_types_endpoints_and_bodies_are_the_specs():
    assert sorted(import_model.TYPES) == fact("import_resource_types")
    assert len(import_model.TYPES) == 18
    assert {name: spec[0] for name, spec in import_model.TYPES.items()} == fact("request_segments")
    assert {name: spec[1] for name, spec in import_model.TYPES.items()} == fact("request_body_fields")
    assert sorted(import_model.MODULAR_ONLY) == fact("modular_catalog_only_types")
    assert sorted(import_model.CREATE_ONLY) == fact("create_only_types")


def test_the_fakes_states_and_query_parameters_are_the_specs():
    assert list(import_model.STATES) == fact("processing_states") == fact("summary_states")
    assert list(import_model.OPERATION_QUERY_PARAMETERS) == fact("operation_query_parameters")
    assert list(import_model.CONTAINER_QUERY_PARAMETERS) == fact("container_query_parameters")


def test_the_fakes_limits_are_the_specs_and_the_docs():
    assert fact("query_limit_default_and_maximum") == [import_model.DEFAULT_LIMIT, import_model.MAX_LIMIT]
    assert fact("query_offset_maximum") == import_model.MAX_OFFSET
    assert fact("max_resources_per_request") == import_model.MAX_RESOURCES
    assert fact("max_containers_per_project") == import_containers.MAX_CONTAINERS
    assert fact("container_default_time_to_live_hours") * 3600 == import_containers.DEFAULT_TIME_TO_LIVE
    lowest, highest = fact("container_time_to_live_range")
    assert import_containers.time_to_live({"strategy": "ttl", "config": {"timeToLive": lowest}}) == (
        import_containers.MIN_TIME_TO_LIVE
    )
    assert import_containers.time_to_live({"strategy": "ttl", "config": {"timeToLive": highest}}) == (
        import_containers.MAX_TIME_TO_LIVE
    )
    assert fact("operation_lifetime_hours") * 3600 == import_model.OPERATION_LIFETIME


def test_the_fakes_scopes_are_the_specs_traits():
    assert {k: list(v) for k, v in import_model.TRAIT_SCOPES.items()} == fact("trait_scopes")
    assert fact("request_traits") == import_model.REQUEST_TRAITS
    assert import_model.REQUEST_SCOPES["standalone-price"][0] == "manage_standalone_prices"
    assert import_model.REQUEST_SCOPES["product-selection"][0] == "manage_product_selections"


# --------------------------------------------------------------------------- facts vs the SDK


def generated(relative: str) -> str:
    path = GENERATED / relative
    if not path.is_file():
        pytest.fail(
            f"{path} is missing: the spec check reads the @commercetools/importapi-sdk types; install the "
            "emulator's npm packages with `npm ci --prefix emulator` (scripts/setup.sh does)"
        )
    return path.read_text(encoding="utf-8")


def union(text: str, type_name: str) -> list[str]:
    """The string literals of ``export type <type_name> = 'a' | 'b' | (string & {});``."""
    match = re.search(rf"export type {type_name} = ([^;]+);", text)
    assert match, type_name
    return re.findall(r"'([^']+)'", match.group(1))


def interface_fields(text: str, name: str) -> list[str]:
    match = re.search(rf"export interface {name}\b[^{{]*\{{(.*?)\n\}}", text, re.S)
    assert match, name
    return re.findall(r"readonly (\w+)\??:", match.group(1))


def test_the_sdk_is_the_version_the_facts_were_checked_with():
    package = json.loads((SDK / "package.json").read_text(encoding="utf-8")) if SDK.is_dir() else {}
    generated("models/common.d.ts")  # a clear failure when it is not installed
    assert package["version"] == FACTS["sdk"]["version"]
    emulator = json.loads((HERE.parents[1] / "emulator" / "package.json").read_text(encoding="utf-8"))
    assert emulator["devDependencies"][FACTS["sdk"]["package"]] == FACTS["sdk"]["version"]


def test_the_sdks_resource_types_and_states_are_the_facts():
    common = generated("models/common.d.ts")
    assert sorted(union(common, "ImportResourceType")) == fact("import_resource_types")
    assert sorted(union(common, "ProcessingState")) == sorted(fact("processing_states"))
    summaries = generated("models/importsummaries.d.ts")
    assert interface_fields(summaries, "OperationStates") == fact("summary_states")


def test_the_sdks_request_bodies_and_endpoints_are_the_facts():
    requests = generated("models/importrequests.d.ts")
    bodies = {}
    for block in re.findall(r"export interface \w+ extends IImportRequest \{(.*?)\n\}", requests, re.S):
        (resource_type,) = re.findall(r"readonly type: '([^']+)'", block)
        (bodies[resource_type],) = re.findall(r"readonly (resources|patches):", block)
    assert dict(sorted(bodies.items())) == fact("request_body_fields")
    builders = {p.name for p in (GENERATED / "client" / "import-containers").glob("*.d.ts")}
    segments = {
        m.group(1)
        for name in builders
        if (
            m := re.fullmatch(
                r"by-project-key-(.+)-import-containers-by-import-container-key-request-builder\.d\.ts", name
            )
        )
    }
    assert segments == set(fact("request_segments").values())


def test_the_sdks_query_parameters_and_retention_policy_are_the_facts():
    builder = generated(
        "client/import-operations/by-project-key-import-containers-by-import-container-key-import-operations-request-builder.d.ts"
    )
    match = re.search(r"queryArgs\?: \{(.*?)\[key: string\]", builder, re.S)
    assert match
    assert re.findall(r"(\w+)\?:", match.group(1)) == fact("operation_query_parameters")
    containers = generated("models/importcontainers.d.ts")
    assert union(containers, "StrategyEnum") == fact("retention_policy_strategies")
    assert "retentionPolicy" in interface_fields(containers, "ImportContainerDraft")
    assert "expiresAt" in interface_fields(containers, "ImportContainer")
    assert interface_fields(containers, "TimeToLiveConfig") == ["timeToLive"]
