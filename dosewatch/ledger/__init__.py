"""The per-patient cumulative dose ledger: schema, migrations, repositories, identity."""

# every ORM module registers its tables on ``models.Base.metadata`` when imported
from dosewatch.ledger import alert_models as alert_models
from dosewatch.ledger import backfill_models as backfill_models
from dosewatch.ledger import estimate_models as estimate_models
from dosewatch.ledger import nrd_models as nrd_models
from dosewatch.ledger import pull_state as pull_state
from dosewatch.ledger import recompute_models as recompute_models
