"""The per-patient cumulative dose ledger: schema, migrations, ingest use case, identity."""
