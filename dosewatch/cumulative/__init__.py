"""Cumulative dose per person across the region (issue #7).

Imports the ledger, never the reverse. Pure functions of ``(session, person, window, ...)``
returning frozen dataclasses, so that the CLI, the API and the pages show the same numbers:

* :mod:`.window` — rolling 12 months, 5 years, lifetime, custom dates;
* :mod:`.records` — the counted facts of a person's exams (one query per table);
* :mod:`.summary` — sums per quantity, with uncertainty, completeness, splits and timeline;
* :mod:`.skin` — peak skin doses per procedure (never summed) and overlap flags.
"""
