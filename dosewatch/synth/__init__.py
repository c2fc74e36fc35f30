"""Synthetic dose objects for tests and benchmarks (never for production data).

Builders return pydicom Datasets (``build_*``) or Part 10 bytes (``*_bytes``) of
standard-conformant X-Ray Radiation Dose SRs (TID 10011 CT, TID 10001 projection and
mammography) and Radiopharmaceutical Radiation Dose SRs (TID 10021), with each known
vendor deviation injectable through :class:`Deviation`. :func:`generate_region` writes a
whole region; :mod:`dosewatch.synth.mutate` corrupts objects for robustness tests.
"""

from dosewatch.synth.common import (
    DEFAULT_HEADER,
    INS_ISSUER_OID,
    Deviation,
    DeviceSpec,
    Header,
    PatientSpec,
    StudySpec,
    UidFactory,
    read_dataset,
    to_bytes,
)
from dosewatch.synth.ct import (
    CtEventSpec,
    CtReportSpec,
    CtSourceSpec,
    DoseCheckSpec,
    build_ct_report,
    ct_report_bytes,
)
from dosewatch.synth.mammography import (
    MammographyEventSpec,
    MammographyReportSpec,
    build_mammography_report,
    mammography_report_bytes,
)
from dosewatch.synth.projection import (
    FilterSpec,
    ProjectionEventSpec,
    ProjectionReportSpec,
    build_projection_report,
    projection_report_bytes,
    radiography_event,
)
from dosewatch.synth.radiopharmaceutical import (
    AdministrationSpec,
    OrganDoseSpec,
    RadiopharmaceuticalReportSpec,
    build_radiopharmaceutical_report,
    fdg_organ_doses,
    radiopharmaceutical_report_bytes,
)
from dosewatch.synth.region import RegionSummary, generate_region, iter_region

__all__ = [
    "DEFAULT_HEADER",
    "INS_ISSUER_OID",
    "AdministrationSpec",
    "CtEventSpec",
    "CtReportSpec",
    "CtSourceSpec",
    "Deviation",
    "DeviceSpec",
    "DoseCheckSpec",
    "FilterSpec",
    "Header",
    "MammographyEventSpec",
    "MammographyReportSpec",
    "OrganDoseSpec",
    "PatientSpec",
    "ProjectionEventSpec",
    "ProjectionReportSpec",
    "RadiopharmaceuticalReportSpec",
    "RegionSummary",
    "StudySpec",
    "UidFactory",
    "build_ct_report",
    "build_mammography_report",
    "build_projection_report",
    "build_radiopharmaceutical_report",
    "ct_report_bytes",
    "fdg_organ_doses",
    "generate_region",
    "iter_region",
    "mammography_report_bytes",
    "projection_report_bytes",
    "radiography_event",
    "radiopharmaceutical_report_bytes",
    "read_dataset",
    "to_bytes",
]
