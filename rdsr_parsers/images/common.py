"""What every image-header reader shares: header facts, the report frame, event identity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydicom.dataset import Dataset

from dosewatch.domain import codes
from dosewatch.domain.finding_codes import FindingCode
from dosewatch.domain.report import (
    DeviceFacts,
    DoseModality,
    DoseReport,
    PatientFacts,
    SourceKind,
    StudyFacts,
)
from rdsr_parsers import header
from rdsr_parsers.context import ParseContext
from rdsr_parsers.images.attributes import tag_str, text

_IRRADIATION_EVENT_UID_TAG = 0x00083010


@dataclass(frozen=True, slots=True)
class HeaderFacts:
    """Patient, study and device attributes of one image."""

    patient: PatientFacts
    study: StudyFacts
    device: DeviceFacts

    @property
    def started(self) -> datetime | None:
        """Acquisition DateTime (or Date + Time), else Content Date + Time."""
        return self.study.acquisition_datetime or self.study.content_datetime

    def report(
        self,
        modality: DoseModality,
        *,
        source_kind: SourceKind = SourceKind.IMAGE_HEADER,
        **fields: Any,
    ) -> DoseReport:
        return DoseReport(
            source_kind=source_kind,
            modality=modality,
            patient=self.patient,
            study=self.study,
            device=self.device,
            template_id=None,
            source_of_dose_information=(codes.COPIED_FROM_IMAGE_ATTRIBUTES,),
            **fields,
        )


def read_facts(ds: Dataset, ctx: ParseContext) -> HeaderFacts:
    return HeaderFacts(
        patient=header.patient_facts(ds, ctx),
        study=header.study_facts(ds, ctx),
        device=header.device_facts(ds),
    )


def event_uid_or_sop(ds: Dataset, ctx: ParseContext) -> str | None:
    """Irradiation Event UID (0008,3010), else the SOP Instance UID (one image, one event)."""
    uid = text(ds, "IrradiationEventUID")
    if uid is not None:
        return uid.split("\\")[0]
    sop = text(ds, "SOPInstanceUID")
    ctx.add(
        FindingCode.IDENTITY_SOP_AS_EVENT_UID,
        "no Irradiation Event UID (0008,3010); the SOP Instance UID identifies the exposure",
        path=tag_str(_IRRADIATION_EVENT_UID_TAG),
    )
    return sop
