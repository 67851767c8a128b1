"""The fake auth service: client-credentials grants with scopes, bearer tokens, scope checks."""

from __future__ import annotations

import base64
import binascii
import secrets
import time
from collections.abc import Mapping
from urllib.parse import parse_qs, unquote_plus

from airflow_provider_commercetools.testing.fake.http import (
    _READ_METHODS,
    _dumps,
    _HttpError,
    _method_not_allowed,
    _not_found,
    _oauth_error_body,
    _Response,
)
from airflow_provider_commercetools.testing.fake.store import FakeState

_SCOPE_FAMILY = {
    "product-projections": "products",
    "product-types": "products",
    "inventory": "products",
    "custom-objects": "key_value_documents",
}
# other families that also grant a resource (as in the API reference)
_SCOPE_ALTERNATIVES = {"custom-objects": ("products", "orders", "customers")}


class FakeAuth(FakeState):
    """Token grants and checks (mixed into FakeCommercetools)."""

    client_id: str
    client_secret: str
    scopes: tuple[str, ...]
    token_lifetime: int
    token_grants: int
    _tokens: dict[str, tuple[float, frozenset[str]]]

    def revoke_tokens(self) -> None:
        """Every token issued so far becomes invalid (401 invalid_token); new grants work."""
        with self._lock:
            self._tokens.clear()

    def _oauth(
        self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], body: bytes
    ) -> _Response:
        if path.rstrip("/") != "/oauth/token":
            raise _not_found(f"The endpoint '{path}' was not found.")
        if method != "POST":
            raise _method_not_allowed(method, path)
        if not self._client_authenticated(headers.get("authorization", "")):
            message = "Please provide valid client credentials using HTTP Basic Authentication."
            raise _HttpError(
                401, _oauth_error_body(401, "invalid_client", message), {"WWW-Authenticate": 'Basic realm="ct"'}
            )
        form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        grant_type = (form.get("grant_type") or [""])[-1]
        if grant_type != "client_credentials":
            message = f"Unsupported grant type '{grant_type}': use 'client_credentials'."
            raise _HttpError(400, _oauth_error_body(400, "unsupported_grant_type", message))
        scope_text = (form.get("scope") or query.get("scope") or [""])[-1]
        requested = scope_text.split()
        for scope in requested:
            if scope not in self.scopes:
                raise _HttpError(400, _oauth_error_body(400, "invalid_scope", f"Invalid scope: {scope}"))
        granted = tuple(dict.fromkeys(requested)) if requested else self.scopes
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = (time.monotonic() + self.token_lifetime, frozenset(granted))
            self.token_grants += 1
        payload = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": self.token_lifetime,
            "scope": " ".join(granted),
        }
        return _Response(200, _dumps(payload))

    def _client_authenticated(self, header: str) -> bool:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic" or not encoded.strip():
            return False
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        client_id, sep, secret = decoded.partition(":")
        if not sep:
            return False
        if (client_id, secret) == (self.client_id, self.client_secret):
            return True
        return (unquote_plus(client_id), unquote_plus(secret)) == (self.client_id, self.client_secret)

    def _token_scopes(self, headers: Mapping[str, str]) -> frozenset[str]:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        token = token.strip()
        with self._lock:
            entry = self._tokens.get(token) if scheme.lower() == "bearer" and token else None
            if entry is not None and entry[0] <= time.monotonic():
                del self._tokens[token]
                entry = None
        if entry is None:
            message = "The provided access token is invalid."
            raise _HttpError(401, _oauth_error_body(401, "invalid_token", message), {"WWW-Authenticate": "Bearer"})
        return entry[1]

    def _check_scope(self, scopes: frozenset[str], method: str, resource: str | None, store: str | None) -> None:
        pk = self.project_key
        if f"manage_project:{pk}" in scopes:
            return
        read = method in _READ_METHODS
        if resource is None:
            if any(s.split(":")[1:2] == [pk] for s in scopes):
                return
            missing = "manage_project"
        else:
            family = _SCOPE_FAMILY.get(resource, resource.replace("-", "_"))
            for fam in (family, *_SCOPE_ALTERNATIVES.get(resource, ())):
                perms = (f"manage_{fam}", f"view_{fam}") if read else (f"manage_{fam}",)
                for perm in perms:
                    if f"{perm}:{pk}" in scopes or (store is not None and f"{perm}:{pk}:{store}" in scopes):
                        return
            missing = f"{'view' if read else 'manage'}_{family}"
        message = f"Insufficient scope. One of the following scopes is missing: {missing}"
        raise _HttpError(403, _oauth_error_body(403, "insufficient_scope", message))
