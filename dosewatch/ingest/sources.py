"""Object references: what one ingest task is given, and how a backfill enumerates them.

A reference is an absolute file path or a ``file://`` URL, or a URL of a scheme an entry
point registered (:func:`register`): the ingest package never imports the packages above it,
so the CLI registers ``http``/``https`` with the archive package's DICOMweb functions
(:mod:`dosewatch.archive.backfill_source`) in both the enqueuer and the workers. A source or
reference of a scheme nobody registered is refused with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import unquote, urlparse

from dosewatch.domain.errors import ConfigurationError, InvalidValueError
from dosewatch.ingest.local_pool import iter_files
from dosewatch.ingest.prepare import read_file
from dosewatch.ledger.quarantine import Rejection

#: (source, since, until) → the source's object references, lazily
Enumerate = Callable[[str, date | None, date | None], Iterator[str]]
#: reference → the object's bytes, or a rejection saying why it cannot be read
Fetch = Callable[[str], bytes | Rejection]


@dataclass(frozen=True, slots=True)
class Scheme:
    """How the objects of one URL scheme are enumerated and read."""

    enumerate: Enumerate
    fetch: Fetch


_SCHEMES: dict[str, Scheme] = {}


def register(names: tuple[str, ...], scheme: Scheme) -> None:
    """Make ``names`` (URL schemes, e.g. ``("http", "https")``) enumerable and readable."""
    for name in names:
        _SCHEMES[name] = scheme


def _scheme(ref: str) -> tuple[str, Scheme | None]:
    name = urlparse(ref).scheme
    return name, _SCHEMES.get(name)


def path_of(ref: str) -> Path:
    """The file an object reference names; :class:`InvalidValueError` for anything else."""
    parsed = urlparse(ref)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    if parsed.scheme == "" and ref.startswith("/"):
        return Path(ref)
    raise InvalidValueError(f"unsupported object reference {ref!r}: an absolute path or file://")


def is_file_ref(ref: str) -> bool:
    """A file path or ``file://`` URL (read from the file system, not through a scheme)."""
    name = urlparse(ref).scheme
    return name == "file" or (name == "" and ref.startswith("/"))


def read_ref(ref: str) -> bytes | Rejection:
    """The bytes an object reference names, or the rejection saying why they cannot be read.

    :class:`InvalidValueError` for a reference of a scheme nobody registered.
    """
    if is_file_ref(ref):
        return read_file(path_of(ref))
    name, scheme = _scheme(ref)
    if scheme is None:
        raise InvalidValueError(
            f"unsupported object reference {ref!r}: no reader for scheme {name!r} in this process"
        )
    return scheme.fetch(ref)


def _modified(path: Path) -> date | None:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, UTC).date()
    except OSError:
        return None  # vanished or unreadable: the task will say so


def enumerate_source(
    source: str, since: date | None = None, until: date | None = None
) -> Iterator[str]:
    """The object references of a source, lazily: a folder (recursively, sorted, sidecars
    skipped) or a URL of a registered scheme (its own enumeration and date semantics).

    A source that cannot be enumerated is refused at once (:class:`ConfigurationError`).
    For a folder, ``since`` / ``until`` (inclusive) select files by their modification date
    (UTC) — for a folder exported from an archive, the date the object was stored.
    """
    name, scheme = _scheme(source)
    if scheme is not None:
        return scheme.enumerate(source, since, until)
    if name not in {"", "file"} and "://" in source:
        raise ConfigurationError(
            f"backfill source {source}: no enumeration for scheme {name!r} "
            "(a folder, file:// or a DICOMweb http(s) root)"
        )
    root = path_of(source) if name == "file" else Path(source).resolve()
    if not root.is_dir():
        raise ConfigurationError(f"backfill source {source} is not a folder")
    return _folder(root, since, until)


def _folder(root: Path, since: date | None, until: date | None) -> Iterator[str]:
    for path in iter_files([root]):
        if since is not None or until is not None:
            day = _modified(path)
            if day is not None and (
                (since is not None and day < since) or (until is not None and day > until)
            ):
                continue
        yield str(path)
