"""Object references: what one ingest task is given, and how a backfill enumerates them.

A reference is an absolute file path or a ``file://`` URL. (DICOMweb instance URLs are the
archive package's to resolve; until it provides them, a DICOMweb source is refused with
the reason rather than half-supported.)
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import unquote, urlparse

from dosewatch.domain.errors import ConfigurationError, InvalidValueError
from dosewatch.ingest.local_pool import iter_files


def path_of(ref: str) -> Path:
    """The file an object reference names; :class:`InvalidValueError` for anything else."""
    parsed = urlparse(ref)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    if parsed.scheme == "" and ref.startswith("/"):
        return Path(ref)
    raise InvalidValueError(f"unsupported object reference {ref!r}: an absolute path or file://")


def _modified(path: Path) -> date | None:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, UTC).date()
    except OSError:
        return None  # vanished or unreadable: the task will say so


def enumerate_source(
    source: str, since: date | None = None, until: date | None = None
) -> Iterator[str]:
    """The object references of a folder (recursively, sorted, sidecars skipped), lazily.

    ``since`` / ``until`` (inclusive) select files by their modification date (UTC) — for a
    folder exported from an archive, the date the object was stored.
    """
    scheme = urlparse(source).scheme
    if scheme in {"http", "https"}:
        raise ConfigurationError(
            "DICOMweb backfill sources are not supported yet (the archive package's QIDO "
            "enumeration is not merged); export to a folder or use --from DIR"
        )
    root = path_of(source) if scheme == "file" else Path(source).resolve()
    if not root.is_dir():
        raise ConfigurationError(f"backfill source {source} is not a folder")
    for path in iter_files([root]):
        if since is not None or until is not None:
            day = _modified(path)
            if day is not None and (
                (since is not None and day < since) or (until is not None and day > until)
            ):
                continue
        yield str(path)
