"""The per-patient cumulative dose ledger: schema, migrations, ingest use case, identity."""

# Tables defined outside models.py join Base.metadata here (migrations and schema tests see them).
from dosewatch.ledger import nrd_models as _nrd_models  # noqa: F401
