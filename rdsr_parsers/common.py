"""Facts shared by every SR dose template: observer context, scope, procedure, source."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from pydicom.dataset import Dataset
from pydicom.sr.coding import Code

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
from rdsr_parsers.sr import ContentItem, code_of, codes_of, text_of, uid_of


@dataclass(frozen=True, slots=True)
class SrDocument:
    """A dose SR with its header facts and root-level context, ready for a template reader."""

    dataset: Dataset
    root: ContentItem
    source_kind: SourceKind
    template_id: str | None
    patient: PatientFacts
    study: StudyFacts
    device: DeviceFacts
    procedure_reported: Code | None
    has_intent: Code | None
    scope_of_accumulation: Code | None
    scope_uid: str | None
    source_of_dose_information: tuple[Code, ...]
    comment: str | None

    def report(self, modality: DoseModality, **fields: Any) -> DoseReport:
        """A DoseReport carrying this document's common facts plus template ``fields``."""
        return DoseReport(
            source_kind=self.source_kind,
            modality=modality,
            patient=self.patient,
            study=self.study,
            device=self.device,
            template_id=self.template_id,
            procedure_reported=self.procedure_reported,
            has_intent=self.has_intent,
            scope_of_accumulation=self.scope_of_accumulation,
            scope_uid=self.scope_uid,
            source_of_dose_information=self.source_of_dose_information,
            comment=self.comment,
            **fields,
        )


def template_identifier(ds: Dataset) -> str | None:
    seq = ds.get("ContentTemplateSequence")
    if not seq:
        return None
    return header.text(seq[0], "TemplateIdentifier")


def read_document(
    ds: Dataset, root: ContentItem, source_kind: SourceKind, ctx: ParseContext
) -> SrDocument:
    """Header facts and TID 10001/10011/10021 root context (observer, scope, procedure)."""
    template_id = template_identifier(ds)
    if template_id is None:
        ctx.add(FindingCode.TEMPLATE_MISSING, "Content Template Sequence absent; template inferred")
    device = header.device_facts(ds)
    # Device observer context (TID 1004) completes or corrects the header's device identity.
    observer_fields: dict[str, str | None] = {
        "device_observer_uid": uid_of(root, codes.DEVICE_OBSERVER_UID, ctx),
        "device_observer_name": text_of(root, codes.DEVICE_OBSERVER_NAME),
    }
    for field_name, concept in (
        ("manufacturer", codes.DEVICE_OBSERVER_MANUFACTURER),
        ("model", codes.DEVICE_OBSERVER_MODEL_NAME),
        ("serial_number", codes.DEVICE_OBSERVER_SERIAL_NUMBER),
    ):
        if getattr(device, field_name) is None:
            observer_fields[field_name] = text_of(root, concept)
    present: dict[str, Any] = {k: v for k, v in observer_fields.items() if v is not None}
    device = dataclasses.replace(device, **present)
    procedure_item = root.first(codes.PROCEDURE_REPORTED)
    procedure = has_intent = None
    if procedure_item is not None:
        procedure = code_of(root, codes.PROCEDURE_REPORTED, ctx)
        has_intent = code_of(procedure_item, codes.HAS_INTENT, ctx)
    scope_item = root.first(codes.SCOPE_OF_ACCUMULATION)
    scope = scope_uid = None
    if scope_item is not None:
        scope = code_of(root, codes.SCOPE_OF_ACCUMULATION, ctx)
        for child in scope_item.children:
            if child.value_type == "UIDREF":
                scope_uid = uid_of(scope_item, _code_for(child), ctx)
                break
    return SrDocument(
        dataset=ds,
        root=root,
        source_kind=source_kind,
        template_id=template_id,
        patient=header.patient_facts(ds, ctx),
        study=header.study_facts(ds, ctx),
        device=device,
        procedure_reported=procedure,
        has_intent=has_intent,
        scope_of_accumulation=scope,
        scope_uid=scope_uid,
        source_of_dose_information=codes_of(root, codes.SOURCE_OF_DOSE_INFORMATION, ctx),
        comment=text_of(root, codes.COMMENT),
    )


def _code_for(item: ContentItem) -> Code:
    return Code(item.concept[1], item.concept[0], item.concept[1])
