"""Labels of the pages in French and English; the language comes from ``?lang=`` or the
``Accept-Language`` header (French first: the region is French)."""

from __future__ import annotations

from fastapi import Request

LANGUAGES = ("fr", "en")

LABELS: dict[str, dict[str, str]] = {
    "title": {"fr": "dosewatch — doses des patients", "en": "dosewatch — patient doses"},
    "login": {"fr": "Connexion", "en": "Sign in"},
    "username": {"fr": "Identifiant", "en": "Username"},
    "password": {"fr": "Mot de passe", "en": "Password"},
    "logout": {"fr": "Déconnexion", "en": "Sign out"},
    "lookup": {"fr": "Rechercher un patient", "en": "Look up a patient"},
    "identifier": {"fr": "Identifiant patient (INS ou local)", "en": "Patient identifier"},
    "issuer": {"fr": "Émetteur (facultatif)", "en": "Issuer (optional)"},
    "reason": {"fr": "Motif (tracé)", "en": "Reason (audited)"},
    "search": {"fr": "Rechercher", "en": "Search"},
    "history": {"fr": "Historique dosimétrique", "en": "Dose history"},
    "exams": {"fr": "Examens", "en": "Exams"},
    "date": {"fr": "Date", "en": "Date"},
    "establishment": {"fr": "Établissement", "en": "Establishment"},
    "modality": {"fr": "Modalité", "en": "Modality"},
    "indicators": {"fr": "Indicateurs", "en": "Indicators"},
    "estimates": {"fr": "Estimations", "en": "Estimates"},
    "not_found": {"fr": "Aucun patient trouvé.", "en": "No patient found."},
    "nrd": {"fr": "Niveaux de référence (NRD)", "en": "Diagnostic reference levels (NRD)"},
    "nrd_gap": {
        "fr": "L'évaluation NRD (ASN 2019-DC-0667) n'est pas encore disponible dans cette "
        "version. Ci-dessous : médianes des indicateurs enregistrés, par appareil et "
        "protocole (mesures des appareils, pas une évaluation NRD).",
        "en": "NRD evaluation (ASN 2019-DC-0667) is not available in this build yet. Below: "
        "medians of the recorded indicators per device and protocol (device-reported "
        "values, not an NRD evaluation).",
    },
    "device": {"fr": "Appareil", "en": "Device"},
    "protocol": {"fr": "Protocole", "en": "Protocol"},
    "count": {"fr": "Nombre", "en": "Count"},
    "median": {"fr": "Médiane", "en": "Median"},
    "gaps": {"fr": "Non calculé dans cette version", "en": "Not computed in this build"},
    "scope_regional": {"fr": "Vue régionale", "en": "Regional view"},
    "scope_own": {"fr": "Vos établissements", "en": "Your establishments"},
    "chart_title": {"fr": "Examens dans le temps", "en": "Exams over time"},
    "home": {"fr": "Accueil", "en": "Home"},
}


def language_of(request: Request) -> str:
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked
    header = request.headers.get("accept-language", "").lower()
    first = header.split(",")[0].strip()[:2]
    return first if first in LANGUAGES else "fr"


def labels(lang: str) -> dict[str, str]:
    return {key: texts[lang] for key, texts in LABELS.items()}
