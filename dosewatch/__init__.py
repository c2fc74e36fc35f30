"""dosewatch: the patient radiation-dose service of a regional shared PACS."""

__version__ = "0.1.0"
