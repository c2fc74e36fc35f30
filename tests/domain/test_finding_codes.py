"""The finding catalogue: one definition per code, fixed severity, documented, all in use."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dosewatch.domain.errors import StrictnessError
from dosewatch.domain.finding_codes import FindingCode, Severity, catalogue_markdown
from dosewatch.domain.findings import Finding, Strictness
from rdsr_parsers.context import ParseContext
from rdsr_parsers.quirks import all_quirks

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("rdsr_parsers", "organ_models", "dosewatch")


def test_docs_page_equals_the_catalogue() -> None:
    page = (ROOT / "docs" / "FINDINGS.md").read_text(encoding="utf-8")
    assert page == catalogue_markdown(), (
        "regenerate: python -m dosewatch.domain.finding_catalogue > docs/FINDINGS.md"
    )
    assert page.count("\n| `") == len(FindingCode)


def test_every_member_is_a_well_formed_entry() -> None:
    assert len(FindingCode) >= 90  # every code used on the day the catalogue was built
    for member in FindingCode:
        assert re.fullmatch(r"[a-z]+(\.[a-z_]+)+", member.code), member
        assert member.name == member.code.upper().replace(".", "_"), member
        assert isinstance(member.severity, Severity), member
        assert member.meaning and member.action, member
        assert member == member.code and str(member) == member.code
        assert FindingCode.from_code(member.code) is member
    with pytest.raises(ValueError, match="not a finding code"):
        FindingCode.from_code("unit.made_up")


def test_decided_severities() -> None:
    """The cases that were ERROR in one module and WARNING in another, as decided."""
    assert FindingCode.TEMPLATE_MISSING_MANDATORY.severity is Severity.ERROR
    assert FindingCode.TEMPLATE_MISSING_ITEM.severity is Severity.WARNING
    assert FindingCode.TEMPLATE_MISPLACED_ITEM.severity is Severity.WARNING
    assert FindingCode.IDENTITY_DERIVED_EVENT_UID.severity is Severity.INFO
    assert FindingCode.UNIT_NONSTANDARD.severity is Severity.WARNING
    assert FindingCode.UNIT_NORMALISED.severity is Severity.INFO
    assert FindingCode.VALUE_TEXT_FOR_CODE.severity is Severity.INFO
    assert FindingCode.VALUE_TEXT_IN_CODE_ITEM.severity is Severity.WARNING


def test_finding_takes_its_severity_from_the_catalogue() -> None:
    finding = Finding(FindingCode.VALUE_IMPLAUSIBLE, "negative DLP", "1.4")
    assert finding.severity is Severity.WARNING
    assert str(finding) == "[warning] value.implausible at 1.4: negative DLP"


def test_context_escalates_by_the_catalogue_severity() -> None:
    ctx = ParseContext(Strictness.STANDARD)
    ctx.add(FindingCode.UNIT_NONSTANDARD, "Gym2")
    assert [f.severity for f in ctx.findings] == [Severity.WARNING]
    with pytest.raises(StrictnessError, match=r"template\.missing_mandatory"):
        ctx.add(FindingCode.TEMPLATE_MISSING_MANDATORY, "no CTDIvol")
    strict = ParseContext(Strictness.STRICT)
    strict.add(FindingCode.UNIT_NORMALISED, "ml")
    with pytest.raises(StrictnessError):
        strict.add(FindingCode.UNIT_NONSTANDARD, "Gym2")
    assert [f.code for f in strict.findings] == [FindingCode.UNIT_NORMALISED]


def test_quirk_rows_name_catalogue_codes() -> None:
    quirks = all_quirks()
    assert quirks
    assert all(isinstance(q.finding_code, FindingCode) for q in quirks)


def test_every_catalogue_code_is_used_somewhere() -> None:
    """A code nobody emits is dead documentation."""
    sources = "\n".join(
        path.read_text(encoding="utf-8")
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if path.name not in {"finding_codes.py"}
    )
    sources += (ROOT / "rdsr_parsers" / "data" / "quirks.csv").read_text(encoding="utf-8")
    unused = [
        m.code
        for m in FindingCode
        if f"FindingCode.{m.name}" not in sources and m.code not in sources
    ]
    assert not unused


def test_no_free_string_finding_codes_in_the_packages() -> None:
    """Findings are built from the enum only: no string literal as first argument."""
    literal_call = re.compile(
        r"(?:ctx\.(?:add|tally|info|warn|error)|\bFinding|\bfinding)\(\s*(?:Severity\.\w+,\s*)?\""
    )
    offenders = [
        f"{path.relative_to(ROOT)}:{text[: match.start()].count(chr(10)) + 1}"
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        for text in [path.read_text(encoding="utf-8")]
        for match in literal_call.finditer(text)
    ]
    assert not offenders
