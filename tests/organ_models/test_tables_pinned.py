"""The reference-table loader and look-ups (organ_models/tables.py), pinned value by value.

Every expectation is read off the loader's rules (module docstring, ``TableSpec``,
``_parse_table``) or the bundled CSVs; synthetic tables use the column layouts of the real
specs (``SPECS``) so that each validation rule is seen to hold and to refuse, with its
exact message.
"""

from __future__ import annotations

import hashlib

import pytest

from dosewatch.domain.errors import ReferenceDataError, ReferencePolicyRefusedError
from dosewatch.domain.estimate import Coefficient, Verification
from organ_models import tables
from organ_models.tables import (
    DATA_RELEASE,
    SPECS,
    ReferencePolicy,
    ReferenceRow,
    ReferenceTable,
    load_all,
    load_table,
    parse_table,
    table_version,
    table_versions,
)

DEFAULT = ReferencePolicy()
INDICATIVE = ReferencePolicy(allow_indicative=True)

#: skin_dose_factors layout: fixed unit "1", value column "value"
SKIN_HEADER = "factor,application,value,value_low,value_high,source,verification\n"


def _skin(*rows: str) -> ReferenceTable:
    return parse_table("skin_dose_factors", (SKIN_HEADER + "".join(rows)).encode())


def _refused(name: str, text: str) -> str:
    with pytest.raises(ReferenceDataError) as exc:
        parse_table(name, text.encode())
    return str(exc.value)


# ----------------------------------------------------------------------- policy


@pytest.mark.parametrize(
    ("level", "default", "indicative"),
    [
        (Verification.VERIFIED, True, True),
        (Verification.VERIFIED_SECONDARY, True, True),
        (Verification.DERIVED, True, True),
        (Verification.UNVERIFIED_RECALL, False, True),
        (Verification.NOT_RETRIEVED, False, False),
        (Verification.NOT_FOUND, False, False),
    ],
)
def test_the_policy_admits_usable_rows_and_recall_rows_only_when_allowed(
    level: Verification, default: bool, indicative: bool
) -> None:
    assert DEFAULT.admits(level) is default
    assert INDICATIVE.admits(level) is indicative


# ----------------------------------------------------------------------- rows


def test_a_row_reads_its_fields_stripped_and_names_its_place() -> None:
    table = _skin(
        "bsf, fluoro ,1.35,1.3,,src A,verified\n",
        "tpt,under,0.8,x,0.9,src B,unverified_recall\n",
    )
    first, second = table.rows
    assert (first.table, first.row_number, second.row_number) == ("skin_dose_factors", 1, 2)
    assert first.locator == "organ_models/data/skin_dose_factors.csv row 1"
    assert second.locator == "organ_models/data/skin_dose_factors.csv row 2"
    assert first.get("application") == "fluoro"
    assert first.get("no_such_column") == ""
    assert first.number("value_low") == 1.3
    assert first.number("value_high") is None  # empty
    assert second.number("value_low") is None  # not a number
    assert first.number("no_such_column") is None
    assert (first.value, first.unit, first.source) == (1.35, "1", "src A")
    assert first.verification is Verification.VERIFIED and first.indicative is False
    assert second.verification is Verification.UNVERIFIED_RECALL and second.indicative is True
    assert dict(first.fields) == {
        "factor": "bsf",
        "application": " fluoro ",
        "value": "1.35",
        "value_low": "1.3",
        "value_high": "",
        "source": "src A",
        "verification": "verified",
    }


def test_short_and_long_rows_keep_only_named_columns_as_text() -> None:
    """A row with fewer fields than the header has None for the missing ones (stored as
    ""); one with more has them under the key None (dropped)."""
    table = _skin("bsf,fluoro,1.35,1.3,1.4,src,verified,extra,more\n")
    (row,) = table.rows
    assert None not in row.fields
    assert set(row.fields) == set(SKIN_HEADER.strip().split(","))
    short = parse_table(
        "skin_dose_factors",
        b"factor,application,value,source,verification,value_low,value_high\n"
        b"bsf,fluoro,1.35,src,verified\n",
    )
    assert short.rows[0].fields["value_low"] == ""
    assert short.rows[0].fields["value_high"] == ""


def test_require_value_and_coefficient() -> None:
    table = parse_table(
        "ssde_conversion",
        b"record_type,ctdi_phantom_diameter_cm,input_quantity,input_value,value,unit,"
        b"source,verification\n"
        b"fit_constant,32,a,,3.7,dimensionless,AAPM 204,verified\n"
        b"fit_constant,32,b,,,1/cm,AAPM 204,not_retrieved\n",
    )
    good, empty = table.rows
    assert good.require_value() == 3.7
    with pytest.raises(ReferenceDataError) as exc:
        empty.require_value()
    assert str(exc.value) == "organ_models/data/ssde_conversion.csv row 2 has no numeric value"
    assert good.coefficient("a") == Coefficient(
        name="a",
        value=3.7,
        unit="dimensionless",
        source="AAPM 204",
        locator="organ_models/data/ssde_conversion.csv row 1",
        verification=Verification.VERIFIED,
    )
    assert good.coefficient("fit", value=2.5, unit="cm") == Coefficient(
        name="fit",
        value=2.5,
        unit="cm",
        source="AAPM 204",
        locator="organ_models/data/ssde_conversion.csv row 1",
        verification=Verification.VERIFIED,
    )
    # an override value needs no numeric value of the row
    assert empty.coefficient("b", value=0.0367).value == 0.0367
    with pytest.raises(ReferenceDataError, match="row 2 has no numeric value"):
        empty.coefficient("b")


def test_plus_minus_of_a_value() -> None:
    table = parse_table(
        "fluoro_e_per_kap",
        b"topic,exam_or_organ,population,quantity,value,unit,source,where_read,verification\n"
        b"t,PCI,adult,E/KAP,0.20 +/- 0.05,mSv/(Gy*cm2),src,p. 1,verified\n"
        b"t,CA,adult,E/KAP,0.18,mSv/(Gy*cm2),src,p. 1,verified\n",
    )
    spread, plain = table.rows
    assert spread.value == 0.20  # the central value
    assert spread.plus_minus() == 0.05
    assert plain.plus_minus() is None


# ----------------------------------------------------------------------- look-ups


def _lookup_table() -> ReferenceTable:
    return _skin(
        "bsf,a,1.0,,,s1,unverified_recall\n",  # row 1
        "bsf,a,2.0,,,s2,verified\n",  # row 2
        "bsf,b,3.0,,,s3,derived\n",  # row 3
        "bsf,a,4.0,,,s4,verified_secondary\n",  # row 4
        "tpt,a,,,,s5,not_retrieved\n",  # row 5
        "tpt,b,5.0,,,s6,unverified_recall\n",  # row 6
        "tpt,b,,,,s7,not_found\n",  # row 7
        "ncf,c,,,,s8,not_retrieved\n",  # row 8
    )


def _numbers(rows: list[ReferenceRow]) -> list[int]:
    return [r.row_number for r in rows]


def test_select_keeps_table_order_and_only_admitted_rows_with_a_value() -> None:
    table = _lookup_table()
    assert _numbers(table.select(DEFAULT, factor="bsf")) == [2, 3, 4]
    assert _numbers(table.select(INDICATIVE, factor="bsf")) == [1, 2, 3, 4]
    assert _numbers(table.select(DEFAULT, factor="bsf", application="a")) == [2, 4]
    assert _numbers(table.select(DEFAULT, application="a", factor="bsf")) == [2, 4]
    assert _numbers(table.select(INDICATIVE, factor="tpt")) == [6]
    assert table.select(DEFAULT, factor="tpt") == []
    assert table.select(DEFAULT, factor="none") == []
    # no criterion: every row
    assert _numbers(table.select(DEFAULT)) == [2, 3, 4]


def test_select_fits_keeps_admitted_rows_without_a_value() -> None:
    table = _lookup_table()
    assert _numbers(table.select_fits(DEFAULT, factor="bsf")) == [2, 3, 4]
    assert _numbers(table.select_fits(INDICATIVE, factor="bsf", application="a")) == [1, 2, 4]
    assert _numbers(table.select_fits(INDICATIVE, factor="tpt")) == [6]
    assert table.select_fits(DEFAULT, factor="ncf") == []


def test_lookup_returns_the_first_usable_row_or_says_why_not() -> None:
    table = _lookup_table()
    assert table.lookup(DEFAULT, factor="bsf").row_number == 2
    assert table.lookup(INDICATIVE, factor="bsf").row_number == 1
    assert table.lookup(INDICATIVE, factor="tpt", application="b").row_number == 6
    with pytest.raises(ReferenceDataError) as absent:
        table.lookup(DEFAULT, factor="bsf", application="z")
    assert type(absent.value) is ReferenceDataError
    assert str(absent.value) == "skin_dose_factors: no row for factor=bsf, application=z"
    with pytest.raises(ReferencePolicyRefusedError) as refused:
        table.lookup(DEFAULT, factor="tpt", application="b")
    assert str(refused.value) == (
        "skin_dose_factors: the only rows for factor=tpt, application=b are "
        "not_found/unverified_recall; refused by the reference policy (allow_indicative=False)"
    )
    with pytest.raises(ReferenceDataError) as missing:
        table.lookup(DEFAULT, factor="tpt", application="a")
    assert type(missing.value) is ReferenceDataError
    assert str(missing.value) == (
        "skin_dose_factors: the value for factor=tpt, application=a was not retrieved"
    )
    with pytest.raises(ReferenceDataError) as missing_too:
        table.lookup(INDICATIVE, factor="ncf")
    assert type(missing_too.value) is ReferenceDataError
    assert str(missing_too.value) == "skin_dose_factors: the value for factor=ncf was not retrieved"


def test_the_index_is_built_once_per_set_of_columns_and_not_shared_out() -> None:
    table = _lookup_table()
    assert table.select(DEFAULT, factor="bsf", application="a")
    assert set(table._index) == {("application", "factor")}
    built = table._index[("application", "factor")]
    assert {k: [r.row_number for r in v] for k, v in built.items()} == {
        ("a", "bsf"): [1, 2, 4],
        ("b", "bsf"): [3],
        ("a", "tpt"): [5],
        ("b", "tpt"): [6, 7],
        ("c", "ncf"): [8],
    }
    # the other order of the same criteria uses the same index
    table.select(DEFAULT, application="b", factor="tpt")
    assert table._index[("application", "factor")] is built
    table.select(DEFAULT, factor="tpt")
    assert set(table._index) == {("application", "factor"), ("factor",)}
    # what a caller gets is a copy: changing it changes no later look-up
    got = table.select_fits(INDICATIVE, factor="bsf")
    got.clear()
    assert _numbers(table.select_fits(INDICATIVE, factor="bsf")) == [1, 2, 3, 4]
    assert table == _lookup_table()  # the index takes no part in comparison


def test_the_index_on_a_bundled_table_gives_what_a_scan_gives() -> None:
    """NCICT 2015 Table 1 (the table the index was built for): every (exam, population)
    look-up returns exactly the rows a full scan matches, in table order."""
    table = load_table("ct_organ_dose_per_ctdivol_ncict2015")
    pairs = {(r.get("exam_or_organ"), r.get("population")) for r in table.rows}
    assert len(pairs) > 100
    for exam, population in sorted(pairs)[::37]:
        scanned = [
            r
            for r in table.rows
            if r.get("exam_or_organ") == exam
            and r.get("population") == population
            and r.value is not None
            and DEFAULT.admits(r.verification)
        ]
        assert table.select(DEFAULT, exam_or_organ=exam, population=population) == scanned


# ----------------------------------------------------------------------- validation


def test_missing_columns_are_named() -> None:
    assert _refused("skin_dose_factors", "factor,value\nx,1\n") == (
        "skin_dose_factors.csv: missing columns "
        "['application', 'value_low', 'value_high', 'source', 'verification']"
    )
    # a table whose unit comes from a column must have it
    assert _refused(
        "fluoro_conversion",
        "record_type,procedure_or_quantity,qualifier,population,value,source,verification\n"
        "E_per_KAP,x,,adult,0.3,s,verified\n",
    ) == ("fluoro_conversion.csv: missing columns ['unit']")
    # a fixed-unit table needs none
    assert _skin("bsf,a,1.35,,,src,verified\n").rows[0].unit == "1"


def test_each_row_needs_a_known_level_and_a_source() -> None:
    assert _refused("skin_dose_factors", SKIN_HEADER + "bsf,a,1.0,,,src,checked\n") == (
        "skin_dose_factors.csv row 1: unknown verification level 'checked'"
    )
    assert _refused("skin_dose_factors", SKIN_HEADER + "bsf,a,1.0,,,src,\n") == (
        "skin_dose_factors.csv row 1: unknown verification level ''"
    )
    assert _refused(
        "skin_dose_factors", SKIN_HEADER + "bsf,a,1.0,,,src, verified \nbsf,a,1,,,  ,verified\n"
    ) == ("skin_dose_factors.csv row 2: no source")
    short = "factor,application,value,value_low,value_high,source,verification\nbsf,a,1.0,,\n"
    assert _refused("skin_dose_factors", short) == (
        "skin_dose_factors.csv row 1: unknown verification level ''"
    )
    no_source = (
        "factor,application,value,value_low,value_high,verification,source\nbsf,a,1,,,verified\n"
    )
    assert _refused("skin_dose_factors", no_source) == "skin_dose_factors.csv row 1: no source"


FLUORO_HEADER = (
    "record_type,procedure_or_quantity,qualifier,population,value,value_low,value_high,"
    "unit,source,verification\n"
)


def test_units_are_checked_against_the_spec() -> None:
    bad = FLUORO_HEADER + "E_per_KAP,x,,adult,0.3,,,mGy,s,verified\n"
    assert _refused("fluoro_conversion", bad) == (
        "fluoro_conversion.csv row 1: unexpected unit 'mGy'"
    )
    ok = parse_table(
        "fluoro_conversion",
        (FLUORO_HEADER + "E_per_KAP,x,,adult,0.3,,, Gy*cm2 ,s,verified\n").encode(),
    )
    assert ok.rows[0].unit == "Gy*cm2"  # stripped, then checked


def test_an_absent_unit_field_is_refused_where_units_are_listed() -> None:
    text = (
        "record_type,procedure_or_quantity,qualifier,population,value,source,verification,unit\n"
        "E_per_KAP,x,,adult,0.3,s,verified\n"
    )
    assert _refused("fluoro_conversion", text) == "fluoro_conversion.csv row 1: unexpected unit ''"


def test_an_empty_value_takes_the_alternative_column_then_the_range_midpoint() -> None:
    ssde = parse_table(
        "ssde_conversion",
        b"record_type,ctdi_phantom_diameter_cm,input_quantity,input_value,effective_diameter_cm,"
        b"value,unit,source,verification\n"
        b"deff,32,lat,20,21.5,,cm,AAPM 204,verified\n"
        b"deff,32,lat,20,21.5,22.0,cm,AAPM 204,verified\n",
    )
    assert [r.value for r in ssde.rows] == [21.5, 22.0]
    fluoro = parse_table(
        "fluoro_conversion",
        (
            FLUORO_HEADER
            + "E_per_KAP,x,,adult,,0.26,0.34,mSv/(Gy*cm2),s,unverified_recall\n"
            + "E_per_KAP,x,,adult,0.31,0.26,0.34,mSv/(Gy*cm2),s,verified\n"
            + "E_per_KAP,x,,adult,,0.26,,mSv/(Gy*cm2),s,unverified_recall\n"
            + "E_per_KAP,x,,adult,,,0.34,mSv/(Gy*cm2),s,unverified_recall\n"
            + "skin_effect_band,x,,adult,,2,5,Gy,s,verified\n"
        ).encode(),
    )
    values = [r.value for r in fluoro.rows]
    assert values[0] == pytest.approx(0.30, abs=1e-15)  # (0.26 + 0.34) / 2
    assert values[1:] == [0.31, None, None, None]  # no midpoint of one end, nor of a text band
    # the alternative column is not a range: a spec without range columns leaves it empty
    assert _refused("skin_dose_factors", SKIN_HEADER + "bsf,a,,1.3,1.4,s,verified\n") == (
        "skin_dose_factors.csv row 1: verified row without a value"
    )


def test_text_values_and_markers() -> None:
    assert _refused("skin_dose_factors", SKIN_HEADER + "bsf,a,about 1,,,s,verified\n") == (
        "skin_dose_factors.csv row 1: value 'about 1' is not a number"
    )
    # a text record type keeps its descriptive value, without a number
    fluoro = parse_table(
        "fluoro_conversion",
        (FLUORO_HEADER + "skin_effect_band,x,,adult,2-5 Gy,,,Gy,s,verified\n").encode(),
    )
    assert fluoro.rows[0].value is None and fluoro.rows[0].get("value") == "2-5 Gy"
    ncict_header = (
        "topic,exam_or_organ,population,quantity,value,unit,source,where_read,verification\n"
    )
    ncict = parse_table(
        "ct_organ_dose_per_ctdivol_ncict2015",
        (
            ncict_header
            + "t,head | Brain,p,q,<0.02,mGy/mGy,s,w,verified\n"
            + "t,head | Ovaries,p,q,NA,mGy/mGy,s,w,verified\n"
            + "t,head | Lens,p,q,,mGy/mGy,s,w,verified\n"
            + "t,diff,p,q,-12.5,%,s,w,verified\n"
        ).encode(),
    )
    assert [r.value for r in ncict.rows] == [None, None, None, -12.5]
    assert _refused(
        "ct_organ_dose_per_ctdivol_ncict2015", ncict_header + "t,x,p,q,<0.01,mGy/mGy,s,w,verified\n"
    ) == ("ct_organ_dose_per_ctdivol_ncict2015.csv row 1: value '<0.01' is not a number")
    # a marker of another table is no marker here
    assert _refused("skin_dose_factors", SKIN_HEADER + "bsf,a,NA,,,s,verified\n") == (
        "skin_dose_factors.csv row 1: value 'NA' is not a number"
    )


def test_a_usable_row_needs_a_value_and_a_gap_row_does_not() -> None:
    for level in ("verified", "verified_secondary", "derived"):
        assert _refused("skin_dose_factors", SKIN_HEADER + f"bsf,a,,,,s,{level}\n") == (
            f"skin_dose_factors.csv row 1: {level} row without a value"
        )
    gaps = _skin(
        "bsf,a,,,,s,unverified_recall\n", "bsf,a,,,,s,not_retrieved\n", "bsf,a,,,,s,not_found\n"
    )
    assert [r.value for r in gaps.rows] == [None, None, None]
    # a text record type may be empty when usable
    fluoro = parse_table(
        "fluoro_conversion",
        (FLUORO_HEADER + "skin_effect_band,x,,adult,,,,Gy,s,verified\n").encode(),
    )
    assert fluoro.rows[0].value is None


def test_negative_values_are_refused_unless_the_unit_is_signed() -> None:
    assert _refused("skin_dose_factors", SKIN_HEADER + "bsf,a,-0.5,,,s,verified\n") == (
        "skin_dose_factors.csv row 1: negative value -0.5"
    )
    assert _skin("bsf,a,0,,,s,verified\n", "bsf,a,-0.0,,,s,verified\n").rows[0].value == 0.0
    ncict_header = (
        "topic,exam_or_organ,population,quantity,value,unit,source,where_read,verification\n"
    )
    assert _refused(
        "ct_organ_dose_per_ctdivol_ncict2015", ncict_header + "t,x,p,q,-0.1,mGy/mGy,s,w,verified\n"
    ) == ("ct_organ_dose_per_ctdivol_ncict2015.csv row 1: negative value -0.1")


def test_a_spread_must_be_a_number() -> None:
    header = "topic,exam_or_organ,population,quantity,value,unit,source,where_read,verification\n"
    assert _refused("fluoro_e_per_kap", header + "t,x,p,q,0.2 +/- some,1,s,w,verified\n") == (
        "fluoro_e_per_kap.csv row 1: spread of '0.2 +/- some' is not a number"
    )
    # the first "+/-" splits: a second one leaves a spread that is no number
    assert _refused(
        "fluoro_e_per_kap", header + "t,x,p,q,0.2 +/- 0.1 +/- 0.1,1,s,w,verified\n"
    ) == ("fluoro_e_per_kap.csv row 1: spread of '0.2 +/- 0.1 +/- 0.1' is not a number")
    # only a plus_minus table reads the form; elsewhere it is no number
    assert _refused("skin_dose_factors", SKIN_HEADER + "bsf,a,0.2 +/- 0.1,,,s,verified\n") == (
        "skin_dose_factors.csv row 1: value '0.2 +/- 0.1' is not a number"
    )


def test_a_table_without_rows_is_refused() -> None:
    assert _refused("skin_dose_factors", SKIN_HEADER) == "skin_dose_factors.csv: no rows"


# ----------------------------------------------------------------------- versions and loading


def test_versions_are_the_release_and_a_hash_prefix() -> None:
    content = (SKIN_HEADER + "bsf,a,1.35,,,s,verified\n").encode()
    digest = hashlib.sha256(content).hexdigest()
    assert table_version(content) == f"2026.11.27+{digest[:12]}"
    assert DATA_RELEASE == "2026.11.27"
    table = parse_table("skin_dose_factors", content)
    assert (table.name, table.version) == ("skin_dose_factors", f"{DATA_RELEASE}+{digest[:12]}")


def test_unknown_and_uninstalled_tables_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ReferenceDataError) as parse:
        parse_table("no_such_table", b"a\n1\n")
    assert str(parse.value) == "unknown reference table 'no_such_table'"
    with pytest.raises(ReferenceDataError) as load:
        load_table("no_such_table")
    assert str(load.value) == "unknown reference table 'no_such_table'"
    monkeypatch.setitem(tables.SPECS, "not_shipped", SPECS["skin_dose_factors"])
    with pytest.raises(ReferenceDataError) as absent:
        load_table("not_shipped")
    assert str(absent.value) == "reference table not_shipped.csv is not installed"
    assert isinstance(absent.value.__cause__, FileNotFoundError)


def test_packaged_tables_load_with_the_hash_of_their_bytes() -> None:
    from importlib import resources

    everything = load_all()
    assert list(everything) == list(SPECS)
    for name, table in everything.items():
        content = resources.files("organ_models").joinpath("data", f"{name}.csv").read_bytes()
        assert table.name == name
        assert table.version == table_version(content)
        assert table is load_table(name)  # cached
    # the bundled skin factors as printed in the CSV (first row: backscatter 1.35)
    first = load_table("skin_dose_factors").rows[0]
    assert (first.get("factor"), first.value, first.unit) == ("backscatter_factor", 1.35, "1")


def test_table_versions_are_sorted_deduplicated_and_joined() -> None:
    a, b = load_table("ssde_conversion").version, load_table("ct_k_factors").version
    assert table_versions(["ssde_conversion", "ct_k_factors", "ssde_conversion"]) == (
        f"ct_k_factors@{b};ssde_conversion@{a}"
    )
    assert table_versions([]) == ""
