"""Tabular exports of the ledger (CSV / XLSX): :mod:`.dose_tables` (a study's or a person's
device indicators and dose estimates)."""
