"""Live alongside the shared archive (IHE REM Dose Information Consumer).

* :mod:`.spool` — durable (fsync) spool of received objects, replayed at start;
* :mod:`.listener` — pynetdicom C-STORE/C-ECHO SCP with a calling-AE allow-list, a bounded
  queue and ingest workers;
* :mod:`.pull` — DICOMweb (QIDO-RS, WADO-RS) catch-up, incremental with a persisted
  watermark and resumable (:mod:`dosewatch.ledger.pull_state`);
* :mod:`.prdsr` — Patient Radiation Dose SR (TID 10030) built with highdicom content items,
  :mod:`.prdsr_check` its structural validator and reader.
"""
