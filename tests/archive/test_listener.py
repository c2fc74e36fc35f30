"""The C-STORE listener against real senders: dcmtk storescu and a pynetdicom SCU."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from pydicom import dcmread
from pynetdicom import AE
from pynetdicom.sop_class import MRImageStorage, Verification  # type: ignore[attr-defined]
from sqlalchemy import select

from dosewatch.archive.listener import (
    DOSE_STORAGE_CLASSES,
    Listener,
    parse_allow,
)
from dosewatch.domain.errors import ConfigurationError
from dosewatch.ingest import Ingestor
from dosewatch.ledger.models import Quarantine, ReportRow
from tests.archive.conftest import CORPUS, require_tool
from tests.archive.helpers import ingest_files, ledger_of

FILES = sorted(CORPUS.glob("*.dcm"))


def _port(listener: Listener) -> int:
    return int(listener.port)  # type: ignore[attr-defined]


def _scu(calling: str) -> AE:
    ae = AE(ae_title=calling)
    ae.add_requested_context(Verification)
    for uid in DOSE_STORAGE_CLASSES:
        ae.add_requested_context(uid)
    ae.add_requested_context(MRImageStorage)
    return ae


def test_storescu_to_listener_equals_ingest_from_files(
    listener: Listener, make_ingestor: Callable[[str], Ingestor]
) -> None:
    assert len(FILES) >= 40, "the OpenREM sample corpus is missing"
    storescu = require_tool("storescu")
    done = subprocess.run(
        [
            storescu,
            "-R",
            "-aet",
            "MODALITY1",
            "-aec",
            "DOSEWATCH",
            "127.0.0.1",
            str(_port(listener)),
        ]
        + [str(p) for p in FILES],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert listener.wait_idle(120)
    assert listener.stats.received == len(FILES)
    assert len(listener.spool) == 0  # every entry ingested, then forgotten
    from_files = make_ingestor("files")
    ingest_files(from_files, FILES, "HOPITAL_A", "MODALITY1")
    received = ledger_of(listener.ingestor)
    assert received["reports"], "nothing was ledgered"
    assert received == ledger_of(from_files)


def test_unknown_calling_ae_is_rejected_and_listener_keeps_serving(listener: Listener) -> None:
    stranger = _scu("STRANGER").associate("127.0.0.1", _port(listener), ae_title="DOSEWATCH")
    assert stranger.is_rejected
    # PS3.8 A-ASSOCIATE-RJ: result 1 (permanent), source 1 (service user), reason 3
    # (calling AE title not recognised)
    rejection = stranger.acceptor.primitive
    assert rejection is not None
    assert (rejection.result, rejection.result_source, rejection.diagnostic) == (1, 1, 3)
    known = _scu("MODALITY2").associate("127.0.0.1", _port(listener), ae_title="DOSEWATCH")
    assert known.is_established
    assert known.send_c_echo().Status == 0x0000
    known.release()


def test_bad_input_over_the_network_is_refused_or_quarantined(
    listener: Listener, tmp_path: Path
) -> None:
    ct = CORPUS / "CT-RDSR-GEPixelMed.dcm"
    whole = ct.read_bytes()
    truncated = tmp_path / "truncated.dcm"
    # cut inside the SR document header: the parser recovers nothing of the dose content
    truncated.write_bytes(whole[:1200])
    hostile = dcmread(ct)  # an RDSR without study identity and without its content tree
    del hostile.ContentSequence
    del hostile.StudyInstanceUID
    hostile.SOPInstanceUID = "1.2.3.4.5.666"
    hostile_path = tmp_path / "hostile.dcm"
    hostile.save_as(hostile_path)
    mr = dcmread(ct)
    mr.SOPClassUID = MRImageStorage
    mr.file_meta.MediaStorageSOPClassUID = MRImageStorage

    assoc = _scu("MODALITY1").associate("127.0.0.1", _port(listener), ae_title="DOSEWATCH")
    assert assoc.is_established
    # a non-dose SOP class has no accepted presentation context: refused before any byte
    with pytest.raises(ValueError, match="presentation context"):
        assoc.send_c_store(mr)
    statuses = [
        assoc.send_c_store(truncated).Status,
        assoc.send_c_store(hostile_path).Status,
        assoc.send_c_store(CORPUS / "ESR_non-dose.dcm").Status,
        assoc.send_c_store(ct).Status,  # a good one after the bad ones
    ]
    assoc.release()
    assert statuses == [0, 0, 0, 0]  # all spooled: the content is judged by the ingest
    assert listener.wait_idle(60)
    with listener.ingestor.readers() as session:
        reasons = sorted(session.scalars(select(Quarantine.reason_code)))
        reports = list(session.scalars(select(ReportRow.sop_instance_uid)))
    assert len(reasons) == 3, reasons  # truncated, hostile, non-dose: each with its reason
    assert "input.not_dose" in reasons, reasons
    assert dcmread(ct).SOPInstanceUID in reports
    again = _scu("MODALITY1").associate("127.0.0.1", _port(listener), ae_title="DOSEWATCH")
    assert again.send_c_echo().Status == 0x0000  # still serving
    again.release()


def test_allow_list_items_are_validated() -> None:
    assert parse_allow(["CT1=HOPITAL_A", " MG2 = CLINIQUE_B "]) == {
        "CT1": "HOPITAL_A",
        "MG2": "CLINIQUE_B",
    }
    for bad in ("CT1", "=EST", "CT1=", "A_VERY_LONG_AE_TITLE=EST"):
        with pytest.raises(ConfigurationError, match="CALLING_AE=ESTABLISHMENT"):
            parse_allow([bad])
