"""Sending one prepared request: conflicts (409), and creates whose answer was lost.

A create is never re-sent blindly: when the draft supplies a unique value (the entity's
``lookup_by``) the entity is looked up; found, the item succeeded (``recovered``); not found, the
create is sent again (at most :data:`MAX_CREATE_RESENDS` times). Before a keyed create is given up
as outcome unknown it is looked up once more after waiting the client's timeout, since the server
may apply a request after the client stopped waiting for it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from airflow_provider_commercetools.commercetools.errors import (
    BadRequestError,
    CommercetoolsError,
    ConcurrentModificationError,
    NotFoundError,
    OutcomeUnknownError,
    RequestError,
)
from airflow_provider_commercetools.commercetools.transport.auth import is_token_failure
from airflow_provider_commercetools.commercetools.writing.building import (
    CREATE,
    DELETE,
    READ,
    UPDATE,
    UPSERT,
    PreparedRequest,
)
from airflow_provider_commercetools.commercetools.writing.duplicates import Duplicates

#: A create whose response was lost is sent again at most this often, each time only after a
#: look-up by its key found nothing.
MAX_CREATE_RESENDS = 2
#: Statuses after which the server may still be working on the request (no answer, or a gateway's).
_MAY_APPLY_LATE = frozenset({None, 502, 504})


#: Items that failed for want of a token, one after the other, after which a batch sends nothing more.
MAX_TOKEN_FAILURES = 2


class TokenFailures:
    """Stops a batch once the token failed twice in a row (shared by the publisher and the Import API).

    A token failure (:func:`~airflow_provider_commercetools.commercetools.transport.auth.is_token_failure`:
    the grant refused or unreachable, or the API refusing a fresh token) is not the item's fault: every
    item after it would make its own grants and requests and fail the same way. After
    :data:`MAX_TOKEN_FAILURES` of them with no success in between, :attr:`reason` says why the rest is
    not sent (the error's text, which carries no secret: the transport redacts quoted credentials).
    Thread-safe.
    """

    def __init__(self, limit: int = MAX_TOKEN_FAILURES) -> None:
        self.limit = limit
        self.in_a_row = 0
        self.reason = ""
        self._lock = threading.Lock()

    def failed(self, error: BaseException, *, stop_anyway: bool = False) -> str:
        """Count a failed item; the reason to stop the batch now ("" to go on).

        ``stop_anyway``: the batch stops at this failure in any case (``on_error="fail"``); a token
        failure then still gives its own reason.
        """
        if not is_token_failure(error):
            self.succeeded()
            return ""
        with self._lock:
            self.in_a_row += 1
            if self.in_a_row < self.limit and not stop_anyway:
                return ""
            times = f"{self.in_a_row} times in a row" if self.in_a_row > 1 else "once"
            self.reason = self.reason or (
                f"the access token failed {times} ({error}); nothing more was sent. Fix the connection "
                "(client id, secret, scopes, auth URL), then send these items again"
            )
            return self.reason

    def succeeded(self) -> None:
        if not self.in_a_row:  # the common case, without taking the lock (every item calls this)
            return
        with self._lock:
            self.in_a_row = 0


class Sender(Protocol):
    """What the publisher needs of a client: :meth:`CommercetoolsClient.request`."""

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        payload: Any = None,
        idempotent: bool | None = None,
    ) -> Any: ...


@dataclass
class Progress:
    """What happened while one item was sent, for its result."""

    conflict_retries: int = 0
    recovered: bool = False
    note: str = ""


class ItemSender:
    """Sends one prepared request through ``client``, handling conflicts and lost creates (thread-safe).

    :param late_apply_wait: seconds to wait before the last look-up of a lost keyed create (default:
        the client's timeout); ``stop`` cuts the wait short.
    """

    def __init__(
        self,
        client: Sender,
        *,
        on_conflict: str,
        max_conflict_retries: int,
        stop: threading.Event,
        log: logging.Logger | Any,
        late_apply_wait: float | None = None,
    ) -> None:
        self.client = client
        self.on_conflict = on_conflict
        self.max_conflict_retries = max_conflict_retries
        self.stop = stop
        self.log = log
        if late_apply_wait is None:
            late_apply_wait = float(getattr(getattr(client, "config", None), "timeout", 0.0) or 0.0)
        self.late_apply_wait = late_apply_wait
        self.duplicates = Duplicates(client)

    def send(self, request: PreparedRequest, progress: Progress) -> Any:
        if request.operation == READ:
            return self.client.request(request.method, request.path, query=request.query)
        if request.sent_before and request.operation == CREATE and request.lookup_path:
            found = self._lookup(request)  # an earlier attempt sent it: it may exist already
            if found is not None:
                return self._found(request, progress, found)
        if request.operation in (UPDATE, DELETE) or (request.operation == UPSERT and request.version is not None):
            try:
                return self._send_versioned(request, progress)
            except NotFoundError:
                if request.sent_before and request.operation == DELETE:
                    progress.recovered = True
                    progress.note = "an earlier attempt of this task sent this delete; the entity is gone"
                    return None
                raise
        if request.operation == UPSERT:
            # Writing the same value again is harmless, so a lost response may be re-sent.
            return self.client.request(
                "POST", request.path, query=request.query, payload=request.payload, idempotent=True
            )
        try:
            return self.client.request(
                "POST", request.path, query=request.query, payload=request.payload, idempotent=False
            )
        except OutcomeUnknownError as lost:
            if request.operation == CREATE and request.lookup_path:
                return self._recover_create(request, lost, progress)
            raise OutcomeUnknownError(
                f"outcome unknown: {lost.message}",
                **lost.context(),
                hint="The draft has no key to check it by, so it was not sent again: check whether the entity "
                "exists before sending this item again (give drafts a 'key' to let the publisher check)",
            ) from lost
        except (BadRequestError, ConcurrentModificationError) as error:
            if request.operation == CREATE and request.lookup_path and "DuplicateField" in error.codes:
                return self._existing(request, error, progress)
            raise

    def _existing(self, request: PreparedRequest, error: RequestError, progress: Progress) -> Any:
        """A keyed create answered ``DuplicateField``: applied already if the existing resource equals the draft
        (see :class:`~.duplicates.Duplicates`); an earlier attempt of this task that sent it created it."""
        found = self._lookup(request)
        if found is None:  # the duplicate value is another field (a slug...), not the key
            raise error
        if request.sent_before:
            return self._found(request, progress, found)
        progress.note = self.duplicates.check(request, error, found)
        self.log.info("items[%d] %s: %s", request.index, request.describe, progress.note)
        return found

    def _found(self, request: PreparedRequest, progress: Progress, found: Any) -> Any:
        progress.recovered = True
        progress.note = (
            f"already applied: an earlier attempt of this task created it (found by {request.lookup_by}); "
            "not sent again"
        )
        self.log.warning("items[%d] %s: %s", request.index, request.describe, progress.note)
        return found

    # -- versions and conflicts ------------------------------------------------------------------

    def _send_versioned(self, request: PreparedRequest, progress: Progress) -> Any:
        version = request.version
        if version is None:
            version = self._current_version(request)
        idempotent = True if request.method == "POST" else None  # the version guards against a double apply
        while True:
            query, payload = request.body(version)
            try:
                return self.client.request(
                    request.method, request.path, query=query, payload=payload, idempotent=idempotent
                )
            except ConcurrentModificationError as conflict:
                if self.on_conflict == "fail":
                    raise
                if progress.conflict_retries >= self.max_conflict_retries:
                    progress.note = (
                        f"still conflicting after {progress.conflict_retries} re-sends with the current version "
                        f"(max_conflict_retries={self.max_conflict_retries})"
                    )
                    raise
                progress.conflict_retries += 1
                current = conflict.current_version
                if current is None:
                    current = self._current_version(request)
                self.log.warning(
                    "items[%d] %s: 409 ConcurrentModification, version %s is not the current one; "
                    "re-sending with version %s (on_conflict=%r, conflict retry %d of %d, correlation id %s)",
                    request.index,
                    request.describe,
                    version,
                    current,
                    self.on_conflict,
                    progress.conflict_retries,
                    self.max_conflict_retries,
                    conflict.correlation_id,
                )
                version = current

    def _current_version(self, request: PreparedRequest) -> int:
        body = self.client.request("GET", request.path)
        version = body.get("version") if isinstance(body, dict) else None
        if not isinstance(version, int) or isinstance(version, bool):
            raise OutcomeUnknownError(
                f"GET {request.path} returned no version, so the {request.operation} was not sent",
                method="GET",
                path=request.path,
                hint="Give the version in the item instead of using on_conflict='latest'",
            )
        return version

    # -- lost creates ----------------------------------------------------------------------------

    def _lookup(self, request: PreparedRequest) -> Any:
        try:
            return self.client.request("GET", str(request.lookup_path))
        except NotFoundError:
            return None

    def _recover_create(self, request: PreparedRequest, lost: OutcomeUnknownError, progress: Progress) -> Any:
        """The response of a create was lost: look for the entity by its key before sending it again."""
        last: RequestError = lost
        resends = 0
        waited = False
        while True:
            try:
                found = self._lookup(request)
            except CommercetoolsError as error:
                raise OutcomeUnknownError(
                    f"outcome unknown: the response was lost ({last.message}) and looking it up by "
                    f"{request.lookup_by} failed: {error}",
                    method=lost.method,
                    path=lost.path,
                    status_code=lost.status_code,
                    correlation_id=lost.correlation_id,
                    hint=f"Check whether the entity with {request.lookup_by} exists before sending this item again",
                ) from error
            if found is not None:
                progress.recovered = True
                progress.note = (
                    f"the response was lost; an entity with {request.lookup_by} exists, so the create was not "
                    "sent again"
                    + (
                        f" (found after waiting {self.late_apply_wait:g} s: the server applied it late)"
                        if waited
                        else ""
                    )
                )
                self.log.warning(
                    "items[%d] %s: the response was lost (correlation id %s); found the entity by %s: recovered, "
                    "not sent again",
                    request.index,
                    request.describe,
                    last.correlation_id,
                    request.lookup_by,
                )
                return found
            if resends >= MAX_CREATE_RESENDS:
                if not waited and self._wait_for_a_late_apply(request, last):
                    waited = True
                    continue
                raise OutcomeUnknownError(
                    f"outcome unknown: the response was lost {resends + 1} times ({last.message}) and no entity "
                    f"with {request.lookup_by} was found"
                    + (f", also not after waiting {self.late_apply_wait:g} s" if waited else ""),
                    method=lost.method,
                    path=lost.path,
                    status_code=last.status_code,
                    codes=last.codes,
                    correlation_id=last.correlation_id,
                    hint=f"Check whether the entity with {request.lookup_by} exists before sending this item again",
                )
            resends += 1
            self.log.warning(
                "items[%d] %s: the response was lost (correlation id %s) and no entity with %s exists; "
                "sending it again (%d of %d)",
                request.index,
                request.describe,
                last.correlation_id,
                request.lookup_by,
                resends,
                MAX_CREATE_RESENDS,
            )
            try:
                body = self.client.request(
                    "POST", request.path, query=request.query, payload=request.payload, idempotent=False
                )
            except OutcomeUnknownError as again:
                last = again
                continue
            except BadRequestError as error:
                if "DuplicateField" not in error.codes:
                    raise
                last = error  # the lost create was applied after all: the next look-up finds it
                continue
            progress.note = (
                f"the response was lost; no entity with {request.lookup_by} existed, so it was sent again "
                f"({resends} time{'s' if resends > 1 else ''})"
            )
            return body

    def _wait_for_a_late_apply(self, request: PreparedRequest, last: RequestError) -> bool:
        """Wait the timeout before the last look-up, when the server may still apply the create."""
        if self.late_apply_wait <= 0 or last.status_code not in _MAY_APPLY_LATE or self.stop.is_set():
            return False
        self.log.warning(
            "items[%d] %s: no answer and no entity with %s; waiting %g s (the timeout) for a late apply before "
            "the last look-up",
            request.index,
            request.describe,
            request.lookup_by,
            self.late_apply_wait,
        )
        self.stop.wait(self.late_apply_wait)
        return True
