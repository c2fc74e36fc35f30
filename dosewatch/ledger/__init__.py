"""The per-patient cumulative dose ledger: schema, migrations, ingest use case, identity."""

# every ORM module registers its tables on ``models.Base.metadata`` when imported
from dosewatch.ledger import estimate_models as estimate_models
