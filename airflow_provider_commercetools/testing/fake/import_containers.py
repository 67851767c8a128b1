"""The fake Import API's containers: keys, the per-project limit, retention policies and expiry.

Sources (commercetools/commercetools-api-reference ``api-specs/import/``, and the docs):

- ``types/import-container.raml``: ``ImportContainerDraft`` (``key`` pattern ``^[a-zA-Z0-9_-]+$``,
  optional ``resourceType``, optional ``retentionPolicy``), ``ImportContainer`` (``version``,
  ``createdAt``, ``lastModifiedAt``, ``retentionPolicy``, ``expiresAt``), ``ImportContainerUpdateDraft``
  (``version``, ``resourceType``); ``RetentionPolicy`` with ``strategy: ttl`` and
  ``config.timeToLive`` (pattern ``^(?:(\\d+)d|(\\d+)h|(\\d+)m)$``, "The lowest accepted value is
  ``1h`` and the highest accepted value is ``30d``"); without a ``retentionPolicy`` a container
  "expires 72 hours after ``createdAt``";
- docs.commercetools.com/api/import-export/import-container: "A maximum of 1 000 Import Containers
  can be created per Project" (the spec names no error for it; the fake answers the HTTP API's
  ``MaxResourceLimitExceeded``, ``api-specs/api/types/error/MaxResourceLimitExceededError.raml``);
- ``api.raml`` ``PUT /{projectKey}/import-containers/{importContainerKey}``: 409
  ``ConcurrentModification`` for a stale ``version``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_commercetools.testing.fake.http import HttpError, bad_request, conflict, error_body, iso_at
from airflow_provider_commercetools.testing.fake.import_model import TYPES

#: docs: at most 1 000 Import Containers per Project
MAX_CONTAINERS = 1000
#: ``types/import-container.raml``: the default time to live, 72 hours
DEFAULT_TIME_TO_LIVE = 72 * 3600
#: ``types/import-container.raml`` ``TimeToLiveConfig.timeToLive``: from ``1h`` to ``30d``
MIN_TIME_TO_LIVE = 3600
MAX_TIME_TO_LIVE = 30 * 24 * 3600
_TIME_TO_LIVE = re.compile(r"^(?:(\d+)d|(\d+)h|(\d+)m)$")
_KEY = re.compile(r"^[a-zA-Z0-9_-]+$")


def time_to_live(policy: Any) -> int:
    """The seconds a ``retentionPolicy`` keeps a container; a 400 ``InvalidField`` naming what is wrong."""
    if not isinstance(policy, dict) or policy.get("strategy") != "ttl":
        raise bad_request(
            "InvalidField",
            "retentionPolicy: expected {'strategy': 'ttl', 'config': {'timeToLive': '<n>d|<n>h|<n>m'}}.",
            field="retentionPolicy",
            invalidValue=policy,
            allowedValues=["ttl"],
        )
    config = policy.get("config")
    text = config.get("timeToLive") if isinstance(config, dict) else None
    match = _TIME_TO_LIVE.match(text) if isinstance(text, str) else None
    if match is None:
        raise bad_request(
            "InvalidField",
            f"retentionPolicy.config.timeToLive: {text!r} is not '<n>d', '<n>h' or '<n>m'.",
            field="retentionPolicy.config.timeToLive",
            invalidValue=text,
        )
    days, hours, minutes = (int(g) if g else 0 for g in match.groups())
    seconds = days * 86400 + hours * 3600 + minutes * 60
    if not MIN_TIME_TO_LIVE <= seconds <= MAX_TIME_TO_LIVE:
        raise bad_request(
            "InvalidField",
            f"retentionPolicy.config.timeToLive: {text!r} is outside 1h..30d.",
            field="retentionPolicy.config.timeToLive",
            invalidValue=text,
        )
    return seconds


@dataclass
class Container:
    """One import container and the ids of its operations (oldest first)."""

    key: str
    created: float  # server clock
    expires: float
    resource_type: str | None = None
    retention_policy: dict[str, Any] | None = None
    version: int = 1
    last_modified: float = 0.0
    operations: dict[str, None] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"key": self.key, "version": self.version}
        if self.resource_type is not None:
            body["resourceType"] = self.resource_type
        if self.retention_policy is not None:
            body["retentionPolicy"] = self.retention_policy
        body["createdAt"] = iso_at(self.created)
        body["lastModifiedAt"] = iso_at(self.last_modified or self.created)
        body["expiresAt"] = iso_at(self.expires)
        return body


def check_draft(draft: dict[str, Any]) -> tuple[str, str | None, dict[str, Any] | None, int]:
    """``(key, resourceType, retentionPolicy, time to live)`` of an ImportContainerDraft, or a 400."""
    key = draft.get("key")
    # the spec gives the pattern only (no length limits)
    if not isinstance(key, str) or not _KEY.match(key):
        message = f"Invalid key {key!r}: one or more of a-z, A-Z, 0-9, '_' and '-'."
        raise bad_request("InvalidInput", message, field="key")
    resource_type = draft.get("resourceType")
    if resource_type is not None and resource_type not in TYPES:
        raise bad_request("InvalidInput", f"Unknown resourceType {resource_type!r}.", field="resourceType")
    policy = draft.get("retentionPolicy")
    ttl = DEFAULT_TIME_TO_LIVE if policy is None else time_to_live(policy)
    return key, resource_type, policy, ttl


def limit_reached(count: int, limit: int) -> HttpError:
    """The 400 ``MaxResourceLimitExceeded`` of creating a container past the project's limit."""
    message = (
        f"The project has reached its limit of {limit} import containers ({count} exist): delete one, "
        "let one expire, or reuse an existing container."
    )
    return HttpError(400, error_body(400, "MaxResourceLimitExceeded", message, exceededResource="import-container"))


def update(container: Container, draft: dict[str, Any], at: float) -> None:
    """Apply an ImportContainerUpdateDraft (``version``, optional ``resourceType``) or raise its 400/409."""
    version = draft.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise bad_request("RequiredField", "The required field 'version' is missing.", field="version")
    if version != container.version:
        raise conflict(container.key, version, container.version)
    resource_type = draft.get("resourceType")
    if resource_type is not None and resource_type not in TYPES:
        raise bad_request("InvalidInput", f"Unknown resourceType {resource_type!r}.", field="resourceType")
    container.resource_type = resource_type
    container.version += 1
    container.last_modified = at
