"""The ``dosewatch`` console command."""
