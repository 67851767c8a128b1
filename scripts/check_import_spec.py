"""Compare tests/testing/import_spec_facts.json with the Import API's RAML in a checkout of the spec.

    python scripts/check_import_spec.py PATH/TO/commercetools-api-reference

reads ``api-specs/import/`` there (``api.raml``, ``types/common.raml``, ``types/import-summary.raml``,
``types/import-request.raml``, ``types/import-container.raml``), prints each fact that the RAML
states, with ``ok`` or the difference, and exits 1 if any differs. Run it when the spec moves on, then
update the facts file (and its ``commit``), the fake, and tests/testing/test_import_spec.py follows.
The facts from the docs (not in the RAML) are listed as such. Nothing of the spec is copied here.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

FACTS = Path(__file__).resolve().parents[1] / "tests" / "testing" / "import_spec_facts.json"


class _Loader(yaml.SafeLoader):
    """YAML with RAML's ``!include`` tags read as plain strings."""


_Loader.add_constructor("!include", lambda loader, node: loader.construct_scalar(node))  # type: ignore[arg-type]


def load(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # a SafeLoader subclass


def from_raml(root: Path) -> dict[str, Any]:
    spec = root / "api-specs" / "import"
    api = load(spec / "api.raml")
    common = load(spec / "types" / "common.raml")["types"]
    summary = load(spec / "types" / "import-summary.raml")["types"]
    requests = load(spec / "types" / "import-request.raml")["types"]
    containers = load(spec / "types" / "import-container.raml")["types"]
    project = api["/{projectKey}"]
    segments, traits, body_fields, create_only, max_items = {}, {}, {}, [], set()
    for request in requests.values():
        value = request.get("discriminatorValue")
        if value is None:
            continue
        props = request["properties"]
        body_fields[value] = "patches" if "patches" in props else "resources"
        if "to be created in" in request.get("description", ""):
            create_only.append(value)
        max_items.add(props[body_fields[value]].get("maxItems"))
    for segment, node in project.items():
        if not segment.startswith("/") or not isinstance(node, dict):
            continue
        post = ((node.get("/import-containers") or {}).get("/{importContainerKey}") or {}).get("post")
        if post is None:
            continue
        body_type = post["body"]["type"].split(".")[-1]
        value = requests[body_type]["discriminatorValue"]
        segments[value] = segment[1:]
        (traits[value],) = post["is"]
    operations = project["/import-containers"]["/{importContainerKey}"]["/import-operations"]["get"]
    container_query = project["/import-containers"]["get"]
    used_traits = {
        *traits.values(),
        *operations["is"],
        *container_query["is"],
        *project["/import-containers"]["post"]["is"],
    }
    default_ttl = re.findall(r"\*\*expires (\d+) hours\*\*", containers["ImportContainer"]["description"])
    ttl = containers["TimeToLiveConfig"]["properties"]["timeToLive"]["description"]
    lowest, highest = re.findall(r"`(\d+[dhm])`", ttl)
    return {
        "import_resource_types": sorted(common["ImportResourceType"]["enum"]),
        "processing_states": common["ProcessingState"]["enum"],
        "summary_states": list(summary["OperationStates"]["properties"]),
        "request_segments": dict(sorted(segments.items())),
        "request_body_fields": dict(sorted(body_fields.items())),
        "operation_query_parameters": [p.rstrip("?") for p in operations["queryParameters"]],
        "container_query_parameters": [p.rstrip("?") for p in container_query["queryParameters"]],
        "query_limit_default_and_maximum": [
            operations["queryParameters"]["limit?"]["default"],
            operations["queryParameters"]["limit?"]["maximum"],
        ],
        "max_resources_per_request": max_items.pop() if len(max_items) == 1 else sorted(max_items, key=str),
        "container_default_time_to_live_hours": int(default_ttl[0]) if default_ttl else None,
        "query_offset_maximum": operations["queryParameters"]["offset?"]["maximum"],
        # the traits the endpoints use (the RAML defines a few view traits no Import endpoint uses)
        "trait_scopes": {
            name: tuple(s.split(":")[0] for s in trait["securedBy"][0]["oauth_2_0"]["scopes"])
            for name, trait in api["traits"].items()
            if name in used_traits
        },
        "request_traits": dict(sorted(traits.items())),
        "retention_policy_strategies": containers["StrategyEnum"]["enum"],
        "container_time_to_live_range": [lowest, highest],
        "create_only_types": sorted(create_only),
        "modular_catalog_only_types": sorted(
            v["discriminatorValue"] for v in requests.values() if "Modular" in v.get("description", "")
        ),
    }


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    root = Path(argv[1])
    facts = json.loads(FACTS.read_text(encoding="utf-8"))
    head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, check=False)
    print(f"spec checkout at {head.stdout.strip() or '?'}; facts read at {facts['commit']}")
    found = from_raml(root)
    differs = 0
    for name, fact in facts["facts"].items():
        if name not in found:
            print(f"  -    {name}: not in the RAML ({fact['source']})")
            continue
        expected = json.loads(json.dumps(found[name]))
        same = expected == fact["value"]
        differs += not same
        print(
            f"  {'ok ' if same else 'DIFF'} {name}" + ("" if same else f": RAML {expected!r}, facts {fact['value']!r}")
        )
    return 1 if differs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
