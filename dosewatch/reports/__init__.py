"""Figures and exports shared by the CLI and the API (read from the ledger, never written).

* :mod:`.dose_tables` — tabular exports (CSV / XLSX) of a study's or a person's device
  indicators and dose estimates.
* :mod:`.conformance` — the per-device conformance report (objects seen, share parsed,
  findings per code).
"""
