"""Figures and exports shared by the CLI and the API (read from the ledger, never written)."""
