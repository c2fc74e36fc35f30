"""The compiled structural pass (``_fastlex.c``)."""

from typing import Any

def explicit_le(
    buf: bytes, pos: int, node_type: type[Any], max_depth: int, /
) -> tuple[Any, bool] | None: ...
