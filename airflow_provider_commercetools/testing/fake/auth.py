"""The fake auth service: client-credentials grants with scopes, bearer tokens, scope checks."""

from __future__ import annotations

import base64
import binascii
import secrets
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from urllib.parse import parse_qs, unquote_plus

from airflow_provider_commercetools.testing.fake.http import (
    READ_METHODS,
    HttpError,
    Response,
    dumps,
    insufficient_scope,
    method_not_allowed,
    not_found,
    oauth_error_body,
)

_SCOPE_FAMILY = {
    "product-projections": "products",
    "product-types": "products",
    "inventory": "products",
    "custom-objects": "key_value_documents",
}
# other families that also grant a resource (as in the API reference)
_SCOPE_ALTERNATIVES = {"custom-objects": ("products", "orders", "customers")}


#: told of every access token granted (after it is stored)
GrantListener = Callable[[str], None]


class Auth:
    """The client-credentials grant of one API client, and the checks of the bearer tokens it issued."""

    def __init__(
        self,
        lock: threading.RLock,
        *,
        project_key: str,
        client_id: str,
        client_secret: str,
        scopes: Sequence[str] | None,
        token_lifetime: int,
    ) -> None:
        """``scopes``: what the client may ask for (None: ``manage_project:{project_key}``)."""
        self._lock = lock
        self.project_key = project_key
        self.client_id = client_id
        self.client_secret = client_secret
        self.scopes: tuple[str, ...] = tuple(scopes) if scopes is not None else (f"manage_project:{project_key}",)
        self.token_lifetime = token_lifetime
        self.token_grants = 0
        self._tokens: dict[str, tuple[float, frozenset[str]]] = {}
        self._grant_listeners: list[GrantListener] = []

    def on_grant(self, listener: GrantListener) -> None:
        """Call ``listener`` with every access token granted from now on."""
        with self._lock:
            self._grant_listeners.append(listener)

    def revoke_tokens(self) -> None:
        """Every token issued so far becomes invalid (401 invalid_token); new grants work."""
        with self._lock:
            self._tokens.clear()

    def handle(
        self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], body: bytes
    ) -> Response:
        """The token endpoint ``POST /oauth/token`` (client credentials in HTTP Basic auth)."""
        if path.rstrip("/") != "/oauth/token":
            raise not_found(f"The endpoint '{path}' was not found.")
        if method != "POST":
            raise method_not_allowed(method, path)
        if not self._client_authenticated(headers.get("authorization", "")):
            message = "Please provide valid client credentials using HTTP Basic Authentication."
            raise HttpError(
                401, oauth_error_body(401, "invalid_client", message), {"WWW-Authenticate": 'Basic realm="ct"'}
            )
        form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        grant_type = (form.get("grant_type") or [""])[-1]
        if grant_type != "client_credentials":
            message = f"Unsupported grant type '{grant_type}': use 'client_credentials'."
            raise HttpError(400, oauth_error_body(400, "unsupported_grant_type", message))
        scope_text = (form.get("scope") or query.get("scope") or [""])[-1]
        requested = scope_text.split()
        for scope in requested:
            if scope not in self.scopes:
                raise HttpError(400, oauth_error_body(400, "invalid_scope", f"Invalid scope: {scope}"))
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
        for listener in self._grant_listeners:
            listener(token)
        return Response(200, dumps(payload))

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

    def token_scopes(self, headers: Mapping[str, str]) -> frozenset[str]:
        """The scopes of the request's bearer token; a 401 ``invalid_token`` if it has none that is valid."""
        scheme, _, token = headers.get("authorization", "").partition(" ")
        token = token.strip()
        with self._lock:
            entry = self._tokens.get(token) if scheme.lower() == "bearer" and token else None
            if entry is not None and entry[0] <= time.monotonic():
                del self._tokens[token]
                entry = None
        if entry is None:
            message = "The provided access token is invalid."
            raise HttpError(401, oauth_error_body(401, "invalid_token", message), {"WWW-Authenticate": "Bearer"})
        return entry[1]

    def check_scope(self, scopes: frozenset[str], method: str, resource: str | None, store: str | None) -> None:
        """A 403 ``insufficient_scope`` unless ``scopes`` allow ``method`` on ``resource`` (None: the project)."""
        pk = self.project_key
        if f"manage_project:{pk}" in scopes:
            return
        read = method in READ_METHODS
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
        raise insufficient_scope(f"Insufficient scope. One of the following scopes is missing: {missing}")
