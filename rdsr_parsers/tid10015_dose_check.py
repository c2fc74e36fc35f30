"""TID 10015 CT Dose Check Details (NEMA XR 25 alerts and notifications).

Included by TID 10013 in the CT Dose container (DCM 113829): a Dose Check Alert Details
container (DCM 113900) and a Dose Check Notification Details container (DCM 113908),
each with "value configured" flags (CID 230 Yes-No), the configured values, the forward
estimates, the reason for proceeding and the person authorising (TID 1020).
"""

from __future__ import annotations

from pydicom.sr.coding import Code

from dosewatch.domain import codes
from dosewatch.domain.codes import code_str, same
from dosewatch.domain.finding_codes import FindingCode
from dosewatch.domain.report import UNIT_CTDIVOL, UNIT_DLP, DoseCheckDetails
from rdsr_parsers.context import ParseContext
from rdsr_parsers.sr import ContentItem, code_of, num_of, read_text
from rdsr_parsers.values import as_text


def read_dose_check_details(
    ct_dose: ContentItem, ctx: ParseContext
) -> tuple[DoseCheckDetails, ...]:
    """Every alert and notification container directly under one CT Dose container."""
    out: list[DoseCheckDetails] = []
    for item in ct_dose.children:
        if item.concept == codes.code_key(codes.DOSE_CHECK_ALERT_DETAILS):
            out.append(_read_details(item, ctx, alert=True))
        elif item.concept == codes.code_key(codes.DOSE_CHECK_NOTIFICATION_DETAILS):
            out.append(_read_details(item, ctx, alert=False))
    return tuple(out)


def _read_details(container: ContentItem, ctx: ParseContext, *, alert: bool) -> DoseCheckDetails:
    if alert:
        dlp_flag, ctdi_flag = codes.DLP_ALERT_VALUE_CONFIGURED, codes.CTDIVOL_ALERT_VALUE_CONFIGURED
        dlp_value, ctdi_value = codes.DLP_ALERT_VALUE, codes.CTDIVOL_ALERT_VALUE
        dlp_forward = codes.ACCUMULATED_DLP_FORWARD_ESTIMATE
        ctdi_forward = codes.ACCUMULATED_CTDIVOL_FORWARD_ESTIMATE
    else:
        dlp_flag = codes.DLP_NOTIFICATION_VALUE_CONFIGURED
        ctdi_flag = codes.CTDIVOL_NOTIFICATION_VALUE_CONFIGURED
        dlp_value, ctdi_value = codes.DLP_NOTIFICATION_VALUE, codes.CTDIVOL_NOTIFICATION_VALUE
        dlp_forward, ctdi_forward = codes.DLP_FORWARD_ESTIMATE, codes.CTDIVOL_FORWARD_ESTIMATE
    dlp_configured = _yes_no(container, dlp_flag, ctx)
    ctdi_configured = _yes_no(container, ctdi_flag, ctx)
    dlp = num_of(container, dlp_value, ctx, to_unit=UNIT_DLP, expect_unit=UNIT_DLP)
    ctdi = num_of(container, ctdi_value, ctx, to_unit=UNIT_CTDIVOL, expect_unit=UNIT_CTDIVOL)
    # MC: the configured value is present when its flag is Yes
    for configured, value, concept in (
        (dlp_configured, dlp, dlp_value),
        (ctdi_configured, ctdi, ctdi_value),
    ):
        if configured and value is None:
            ctx.add(
                FindingCode.TEMPLATE_MISSING_ITEM,
                f"{concept.meaning} ({code_str(concept)}) absent although configured (Yes)",
                path=container.path,
                concept=code_str(concept),
            )
    return DoseCheckDetails(
        kind="alert" if alert else "notification",
        dlp_value_configured=dlp_configured,
        ctdivol_value_configured=ctdi_configured,
        dlp_value=dlp,
        ctdivol_value=ctdi,
        accumulated_dlp_forward_estimate=num_of(
            container, dlp_forward, ctx, to_unit=UNIT_DLP, expect_unit=UNIT_DLP
        ),
        accumulated_ctdivol_forward_estimate=num_of(
            container, ctdi_forward, ctx, to_unit=UNIT_CTDIVOL, expect_unit=UNIT_CTDIVOL
        ),
        reason_for_proceeding=_text(container, codes.REASON_FOR_PROCEEDING),
        person_authorizing=_person_authorizing(container),
    )


def _yes_no(container: ContentItem, concept: Code, ctx: ParseContext) -> bool | None:
    item = container.first(concept)
    if item is None:
        ctx.add(
            FindingCode.TEMPLATE_MISSING_ITEM,
            f"mandatory {concept.meaning} ({code_str(concept)}) is missing",
            path=container.path,
            concept=code_str(concept),
        )
        return None
    value = code_of(container, concept, ctx)
    if same(value, codes.YES):
        return True
    if same(value, codes.NO):
        return False
    if value is not None:
        ctx.add(
            FindingCode.VALUE_UNEXPECTED_CODE,
            f"{code_str(value)} is not a CID 230 Yes/No value; flag unknown",
            path=item.path,
            concept=code_str(concept),
        )
    return None


def _text(container: ContentItem, concept: Code) -> str | None:
    item = container.first(concept)
    return None if item is None else read_text(item)


def _person_authorizing(container: ContentItem) -> str | None:
    """Name of the Person Name (TID 1020) whose role is Irradiation Authorizing.

    A Person Name without a role is taken as the authorising person (the only person
    TID 10015 includes); one with another role is not.
    """
    for item in container.all(codes.PERSON_NAME):
        role = _code_key_of(item.first(codes.PERSON_ROLE_IN_PROCEDURE))
        if role is None or role == codes.code_key(codes.IRRADIATION_AUTHORIZING):
            return as_text(item.dataset.get("PersonName"))
    return None


def _code_key_of(item: ContentItem | None) -> tuple[str, str] | None:
    if item is None:
        return None
    seq = item.dataset.get("ConceptCodeSequence")
    if not seq:
        return None
    ds = seq[0]
    return codes.normalise_key(
        str(ds.get("CodingSchemeDesignator", "") or ""), str(ds.get("CodeValue", "") or "")
    )
