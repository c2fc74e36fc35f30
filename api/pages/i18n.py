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
    "device": {"fr": "Appareil", "en": "Device"},
    "protocol": {"fr": "Protocole", "en": "Protocol"},
    "count": {"fr": "Nombre", "en": "Count"},
    "median": {"fr": "Médiane", "en": "Median"},
    "scope_regional": {"fr": "Vue régionale", "en": "Regional view"},
    "scope_own": {"fr": "Vos établissements", "en": "Your establishments"},
    "chart_title": {"fr": "Examens dans le temps", "en": "Exams over time"},
    "home": {"fr": "Accueil", "en": "Home"},
    "cumulative": {"fr": "Dose cumulée", "en": "Cumulative dose"},
    "cumulative_chart": {
        "fr": "Dose efficace cumulée (estimation)",
        "en": "Cumulative effective dose (estimate)",
    },
    "organ_chart": {"fr": "Dose absorbée par organe", "en": "Absorbed dose per organ"},
    "window": {"fr": "Période", "en": "Window"},
    "apply": {"fr": "Afficher", "en": "Show"},
    "effective": {"fr": "Dose efficace E", "en": "Effective dose E"},
    "basis": {"fr": "Pondération", "en": "Weighting basis"},
    "coverage": {"fr": "Complétude", "en": "Completeness"},
    "covers": {"fr": "E couvre {n} examens sur {m}", "en": "E covers {n} of {m} exams"},
    "not_covered": {"fr": "Examens non couverts", "en": "Exams not covered"},
    "other_basis": {
        "fr": "autre pondération : affichée à part, jamais additionnée",
        "en": "another weighting basis: shown apart, never added",
    },
    "estimate_note": {
        "fr": "Estimations (personne de référence), pas des mesures ; incertitude-type "
        "relative (k=1).",
        "en": "Estimates (reference person), not measurements; relative standard "
        "uncertainty (k=1).",
    },
    "device_reported": {
        "fr": "Valeurs transmises par les appareils (mesures déclarées), somme des "
        "événements comptés",
        "en": "Values reported by the devices (as measured), summed over counted events",
    },
    "organ": {"fr": "Organe", "en": "Organ"},
    "dose": {"fr": "Dose", "en": "Dose"},
    "uncertainty": {"fr": "Incertitude", "en": "Uncertainty"},
    "method": {"fr": "Méthode", "en": "Method"},
    "source": {"fr": "Source", "en": "Source"},
    "indicator": {"fr": "Indicateur", "en": "Indicator"},
    "sum": {"fr": "Somme", "en": "Sum"},
    "unit": {"fr": "Unité", "en": "Unit"},
    "alerts": {"fr": "Alertes ouvertes", "en": "Open alerts"},
    "rule": {"fr": "Règle", "en": "Rule"},
    "value": {"fr": "Valeur", "en": "Value"},
    "threshold": {"fr": "Seuil", "en": "Threshold"},
    "state": {"fr": "État", "en": "State"},
    "message": {"fr": "Message", "en": "Message"},
    "no_alert": {"fr": "Aucune alerte ouverte.", "en": "No open alert."},
    "report_text": {"fr": "Texte pour le compte rendu", "en": "Text for the exam report"},
    "skin": {"fr": "Dose à la peau par procédure", "en": "Skin dose per procedure"},
    "psd": {"fr": "Dose pic à la peau", "en": "Peak skin dose"},
    "never_summed": {"fr": "jamais additionnée", "en": "never summed"},
    "physics": {"fr": "Physique médicale", "en": "Medical physics"},
    "distributions": {
        "fr": "Distributions des doses aux organes par appareil et protocole",
        "en": "Organ-dose distributions per device and protocol",
    },
    "outliers": {
        "fr": "Valeurs atypiques (> Q3 + 1,5 IQR)",
        "en": "Outliers (> Q3 + 1.5 IQR)",
    },
    "skin_follow_up": {"fr": "Suivi cutané", "en": "Skin-dose follow-up"},
    "reason_col": {"fr": "Motif", "en": "Reason"},
    "findings": {
        "fr": "Constats par appareil (conformité)",
        "en": "Findings per device (conformance)",
    },
    "code": {"fr": "Code", "en": "Code"},
    "severity": {"fr": "Gravité", "en": "Severity"},
    "reports": {"fr": "Rapports", "en": "Reports"},
    "study": {"fr": "Examen", "en": "Study"},
    "person": {"fr": "Patient (pseudonyme)", "en": "Person (pseudonym)"},
    "admin": {"fr": "Administration", "en": "Administration"},
    "users": {"fr": "Utilisateurs", "en": "Users"},
    "role": {"fr": "Rôle", "en": "Role"},
    "active": {"fr": "Actif", "en": "Active"},
    "establishments": {"fr": "Établissements", "en": "Establishments"},
    "devices": {"fr": "Appareils", "en": "Devices"},
    "audit": {"fr": "Journal d'audit", "en": "Audit log"},
    "when": {"fr": "Quand", "en": "When"},
    "actor": {"fr": "Qui", "en": "Who"},
    "action": {"fr": "Action", "en": "Action"},
    "target": {"fr": "Objet", "en": "Target"},
    "usage": {"fr": "Utilisation (facturation)", "en": "Usage (billing)"},
    "month": {"fr": "Mois", "en": "Month"},
    "service": {"fr": "Service", "en": "Service"},
    "dose_objects": {"fr": "Objets dose", "en": "Dose objects"},
    "year": {"fr": "Année", "en": "Year"},
    "exam_type": {"fr": "Type d'examen", "en": "Exam type"},
    "status": {"fr": "Statut", "en": "Status"},
    "labels": {"fr": "Avertissements", "en": "Warnings"},
    "refused": {"fr": "Évaluations refusées", "en": "Evaluations refused"},
    "unmapped": {
        "fr": "examens sans type national (règles de correspondance à compléter)",
        "en": "exams without a national exam type (mapping rules to complete)",
    },
    "nrd_note": {
        "fr": "Médiane (ou moyenne, 2011) des indicateurs transmis par les appareils, "
        "comparée au NRD et à la VGD (décision ASN 2019-DC-0667).",
        "en": "Median (or mean, 2011) of the device-reported indicators, compared with the "
        "NRD and the VGD (ASN decision 2019-DC-0667).",
    },
    "none": {"fr": "Aucun.", "en": "None."},
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
