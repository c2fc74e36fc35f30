"""Print the finding catalogue: ``python -m dosewatch.domain.finding_catalogue``."""

from __future__ import annotations

import sys

from dosewatch.domain.finding_codes import catalogue_markdown

if __name__ == "__main__":
    sys.stdout.write(catalogue_markdown())
