"""JSON Lines files for entities and results: local paths or Airflow ObjectStoragePath URLs.

A plain path (``/data/products.jsonl``) is opened directly; a URL (``file://``, ``s3://conn@bucket/key``,
``gs://...``) goes through Airflow's ObjectStoragePath (fsspec), so the same operator writes to a
worker's disk or to a bucket.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from airflow_provider_commercetools.commercetools.errors import ConfigurationError, RequestError


def _scheme(location: str) -> str:
    return location.split("://", 1)[0].lower() if "://" in location else ""


def check_location(parameter: str, location: Any) -> str:
    """Validate an output or input location before any request is sent."""
    if isinstance(location, os.PathLike):
        location = os.fspath(location)
    if not isinstance(location, str) or not location.strip():
        raise ConfigurationError(
            parameter, f"{location!r} is not a path.", "Give a local path or a URL such as s3://conn@bucket/key."
        )
    location = location.strip()
    scheme = _scheme(location)
    if scheme and scheme != "file":
        from fsspec.registry import known_implementations

        if scheme not in known_implementations:
            raise ConfigurationError(
                parameter,
                f"unknown scheme {scheme!r} in {location!r}.",
                "Use a local path, file://, or an fsspec scheme such as s3://, gs://, abfs://.",
            )
    return location


def _storage_path(location: str) -> Any:
    from airflow.providers.common.compat.sdk import ObjectStoragePath

    return ObjectStoragePath(location)


@contextmanager
def open_text(parameter: str, location: str, mode: str) -> Iterator[IO[str]]:
    """Open a local path or an object storage URL as text (``mode`` "r" or "w")."""
    location = check_location(parameter, location)
    if not _scheme(location):
        path = Path(location)
        try:
            if mode == "w":
                path.parent.mkdir(parents=True, exist_ok=True)
            handle = path.open(mode, encoding="utf-8")
        except OSError as error:
            raise _cannot_open(parameter, location, mode, error) from None
        with handle:
            yield handle
        return
    try:
        target = _storage_path(location)
        if mode == "w" and _scheme(location) == "file":
            target.parent.mkdir(parents=True, exist_ok=True)
        handle = target.open(mode, encoding="utf-8")
    except ImportError as error:
        raise ConfigurationError(
            parameter,
            f"cannot open {location!r}: {error}.",
            "Install the filesystem package for that scheme (e.g. s3fs or the Amazon provider).",
        ) from None
    with handle:
        yield handle


def _cannot_open(parameter: str, location: str, mode: str, error: OSError) -> ConfigurationError:
    what = "write" if mode == "w" else "read"
    return ConfigurationError(
        parameter,
        f"cannot {what} {location!r}: {error.strerror or error}.",
        "Give a path to a file in a directory the worker can write to."
        if mode == "w"
        else "Check the path, or the connection in the URL.",
    )


def check_writable(parameter: str, location: str) -> None:
    """Fail (naming ``parameter``) when a local ``location`` cannot be a file: checked before any request.

    It must not be a directory, and its nearest existing ancestor must be a directory.
    """
    if _scheme(location):
        return
    path = Path(location)
    if path.is_dir():
        raise ConfigurationError(
            parameter, f"{location!r} is a directory.", "Give the path of a file in it, e.g. '<dir>/entities.jsonl'."
        )
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if ancestor.exists() and not ancestor.is_dir():
        raise ConfigurationError(
            parameter,
            f"cannot write {location!r}: {str(ancestor)!r} is a file, not a directory.",
            "Give a path in a directory (or a directory to create).",
        )


#: what follows an output's location in the name of a file written beside it: ``<location>.partial-<attempt>``
PARTIAL = ".partial-"


def new_attempt() -> str:
    """A name for one attempt's files beside an output: two attempts (a retry and a zombie) never share one."""
    return uuid.uuid4().hex[:12]


def local_path(location: str) -> str | None:
    """The local path of a plain path or a ``file://`` URL; None for other object storage."""
    if not is_url(location):
        return location
    if location.lower().startswith("file://"):
        return location[len("file://") :]
    return None


def partials_beside(location: str) -> list[str]:
    """The ``<location>.partial-*`` files beside ``location`` (found for local paths and ``file://`` URLs)."""
    local = local_path(location)
    if local is None:
        return []
    prefix = location[: len(location) - len(local)]
    return [prefix + path for path in sorted(glob.glob(glob.escape(local) + PARTIAL + "*"))]


@contextmanager
def write_json_lines_then_move(
    parameter: str, location: str, *, only_if_written: bool = False
) -> Iterator[JsonLinesWriter]:
    """Write JSON Lines beside ``location`` (``<location>.partial-<attempt>``), move them to ``location`` when complete.

    ``location`` holds a complete file or what it held before: a run that fails or is killed never touches
    it (an earlier complete file stays as it was). What the failed run wrote stays beside it, and a
    :class:`RequestError` says where, with how to finish (the caller may name it first: ``writer.location``).
    A complete run removes earlier attempts' partial files. ``only_if_written``: a run that wrote nothing
    leaves ``location`` as it was. The file is opened (and so checked) on entry, before any request.
    """
    check_writable(parameter, location)
    partial = location + PARTIAL + new_attempt()
    writer: JsonLinesWriter | None = None
    try:
        with write_json_lines(parameter, partial) as writer:
            yield writer
    except BaseException as error:
        count = 0 if writer is None else writer.count
        if count == 0:
            remove(partial)
            raise
        if isinstance(error, RequestError) and partial not in (error.hint or ""):
            kept = (
                f"The {count:,} lines written before the failure are kept in {partial!r}; {location!r} was not "
                "touched. Run the task again to write it whole"
            )
            raise error.with_hint(". ".join(filter(None, [error.hint, kept]))) from None
        raise
    count = 0 if writer is None else writer.count
    earlier = [path for path in partials_beside(location) if path != partial]
    if count == 0 and only_if_written:
        remove(partial)
    else:
        move(partial, location)
    for path in earlier:
        remove(path)


class JsonLinesWriter:
    """Writes one JSON document per line; counts what it wrote."""

    def __init__(self, handle: IO[str], location: str = "") -> None:
        self._handle = handle
        self.count = 0
        #: where the lines go (beside the output, with :func:`write_json_lines_then_move`)
        self.location = location

    def write(self, document: Any) -> None:
        self._handle.write(json.dumps(document, separators=(",", ":"), ensure_ascii=False))
        self._handle.write("\n")
        self.count += 1

    def flush(self) -> None:
        """Hand what was written to the operating system (a killed process keeps it)."""
        self._handle.flush()

    def write_texts(self, texts: list[str]) -> None:
        """Write documents that are JSON text already, one line each."""
        if texts:
            self._handle.write("\n".join(texts) + "\n")
            self.count += len(texts)

    def write_many(self, documents: list[Any]) -> None:
        if documents:
            dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
            self._handle.write("\n".join(map(dumps, documents)) + "\n")
            self.count += len(documents)


@contextmanager
def write_json_lines(parameter: str, location: str) -> Iterator[JsonLinesWriter]:
    """Stream documents to ``location`` as JSON Lines."""
    with open_text(parameter, location, "w") as handle:
        yield JsonLinesWriter(handle, location)


def read_json_lines(
    parameter: str, location: str, *, on_bad_line: Callable[[str, str], Any] | None = None
) -> Iterator[Any]:
    """Yield the documents of a JSON Lines file one by one (constant memory), skipping empty lines.

    A line that is not JSON fails with an error naming ``parameter``, or, with ``on_bad_line``, is
    replaced by ``on_bad_line(text, problem)`` (the publisher turns it into a failed item).
    """
    try:
        with open_text(parameter, location, "r") as handle:
            # readline, not iteration: Airflow 2.11's ObjectStoragePath handle (TrackingFileWrapper) is not iterable
            for number, line in enumerate(iter(handle.readline, ""), start=1):
                if not line.strip():
                    continue
                try:
                    yield json.loads(line)
                except ValueError as error:
                    problem = f"line {number} of {location!r} is not JSON: {error}."
                    if on_bad_line is None:
                        raise ConfigurationError(parameter, problem, "Fix or remove that line.") from None
                    yield on_bad_line(line.rstrip("\n")[:10_000], problem)
    except OSError as error:
        raise ConfigurationError(
            parameter, f"cannot read {location!r}: {error}.", "Check the path, or the connection in the URL."
        ) from None


def is_url(location: str) -> bool:
    """Whether ``location`` is an ObjectStoragePath URL rather than a local path."""
    return "://" in location


def remove(location: str) -> None:
    """Delete a local file or an object, if it exists."""
    try:
        if not is_url(location):
            os.remove(location)
        else:
            _storage_path(location).unlink()
    except OSError:
        pass


def list_folder(prefix: str) -> list[str]:
    """The names under ``prefix`` (a folder, or a key prefix ending in ``/``), sorted; none when there is none.

    Never from a cache: s3fs caches listings, and another process's objects would not show.
    """
    local = local_path(prefix)
    if local is not None:
        try:
            return sorted(os.listdir(local))
        except (FileNotFoundError, NotADirectoryError):
            return []
    path = _storage_path(prefix)
    fs, key = path.fs, path.path.rstrip("/")
    fs.invalidate_cache(key)
    try:
        entries = fs.ls(key, detail=False)
    except FileNotFoundError:
        return []
    return sorted(str(entry).rstrip("/").rsplit("/", 1)[-1] for entry in entries)


def exists(location: str) -> bool:
    """Whether a local file or an object exists (asked of the storage, not a cache)."""
    local = local_path(location)
    if local is not None:
        return os.path.exists(local)
    path = _storage_path(location)
    path.fs.invalidate_cache(path.path)
    return bool(path.fs.exists(path.path))


def remove_folder(prefix: str) -> None:
    """Delete a local folder, or every object under a key prefix, if there is any."""
    local = local_path(prefix)
    if local is not None:
        shutil.rmtree(local, ignore_errors=True)
        return
    path = _storage_path(prefix)
    with contextlib.suppress(OSError):  # FileNotFoundError: nothing to remove
        path.fs.rm(path.path.rstrip("/"), recursive=True)


def move(source: str, target: str) -> None:
    """Replace ``target`` by ``source`` (a local path or an ObjectStoragePath URL).

    Local paths and ``file://`` URLs: one atomic rename (a reader sees the old file or the new one).
    Other object storage has no rename: the old object is deleted, then the new one copied into place
    (each object appears whole, but for a moment, or after a crash in between, there is none).
    """
    source_path, target_path = local_path(source), local_path(target)
    if source_path is not None and target_path is not None:
        os.replace(source_path, target_path)
        return
    destination = _storage_path(target)
    if destination.exists():
        destination.unlink()
    _storage_path(source).rename(destination)
