"""Live alongside the shared archive (IHE REM Dose Information Consumer).

* :mod:`.spool` — durable (fsync) spool of received objects, one entry per reception,
  replayed at start;
* :mod:`.listener` — pynetdicom C-STORE/C-ECHO SCP with a calling-AE allow-list, a bounded
  queue and ingest workers;
* :mod:`.pull` — DICOMweb (QIDO-RS, WADO-RS) catch-up, incremental with a persisted
  watermark and resumable (:mod:`dosewatch.ledger.pull_state`);
* :mod:`.study_doses` — a study's current reports and counted estimates, for the outputs;
* :mod:`.prdsr` — Patient Radiation Dose SR (TID 10030) built with highdicom content items,
  :mod:`.prdsr_check` its structural validator (the reader is
  :mod:`rdsr_parsers.tid10030_patient_dose`); :mod:`.stow` — STOW-RS store-back;
* :mod:`.fhir` — FHIR R4 Radiation Dose Summary bundle (IG STU 1), :mod:`.fhir_check` its
  structure and profile checks.
"""
