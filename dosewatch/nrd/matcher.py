"""Ranked suggestions of national exam types for a local study description.

French radiology shorthand is data (``data/abbreviations.csv``: TDM, TAP, ASP, S/IV, INJ, F/P,
G/D ...). A description is normalised (accents, case, punctuation), its tokens are corrected
against the catalogue vocabulary with rapidfuzz (typos), expanded, stripped of modality,
contrast and laterality words, and compared, order-insensitively, with every alias of every
exam type of the modality (``rapidfuzz.fuzz.token_sort_ratio``). Scores are 0-100.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

from rapidfuzz import fuzz, process

from dosewatch.nrd.reference import ExamType, exam_types

#: words that never tell the exam type apart: contrast, laterality, articles, technique
NOISE = frozenset(
    [
        "de",
        "du",
        "des",
        "la",
        "le",
        "les",
        "l",
        "d",
        "g",
        "gauche",
        "droite",
        "droit",
        "droit",
        "bilaterale",
        "bilateral",
        "sans",
        "avec",
        "s",
        "iv",
        "inj",
        "injection",
        "injecte",
        "injectee",
        "c",
        "contraste",
        "et",
        "ou",
        "en",
        "a",
        "au",
        "aux",
        "sur",
        "pour",
        "low",
        "dose",
        "faible",
        "basse",
        "couche",
        "debout",
        "corps",
        "entier",
        "depistage",
        "controle",
        "suivi",
        "urgence",
        "protocole",
        "standard",
        "acquisition",
        "serie",
        "1",
        "2",
        "3",
        "4",
        "5",
        "plus",
        "moins",
        "effort",
        "repos",
        "tc99m",
        "18f",
        "spiralé",
        "spirale",
        "helicoidal",
        "hr",
        "haute",
        "resolution",
        "incidences",
        "incidence",
        "cliches",
        "une",
        "deux",
    ]
)
#: laterality / contrast shorthand written with a slash or a sign
_SHORTHAND = (
    (re.compile(r"\bs\s*/\s*iv\b"), " "),
    (re.compile(r"\bc\s*\+"), " "),
    (re.compile(r"\bc\s*-"), " "),
    (re.compile(r"\bg\s*/\s*d\b|\bd\s*/\s*g\b"), " "),
    (re.compile(r"\bf\s*/\s*p\b|\bf\s*\+\s*p\b"), " face profil "),
    (re.compile(r"\bv\s*/\s*q\b"), " ventilation perfusion "),
    (re.compile(r"\bt\s*\.\s*a\s*\.\s*p\b\.?"), " tap "),
)
_SCORE_FLOOR = 40.0


@dataclass(frozen=True, slots=True)
class Suggestion:
    exam_type: str
    label_fr: str
    score: float


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


@cache
def _abbreviations() -> tuple[dict[tuple[str, str], str], list[tuple[str, str, str]]]:
    """(token, modality) -> expansion, and phrase rules (phrase, expansion, modality)."""
    text = (
        resources.files("dosewatch.nrd")
        .joinpath("data", "abbreviations.csv")
        .read_text(encoding="utf-8")
    )
    tokens: dict[tuple[str, str], str] = {}
    phrases: list[tuple[str, str, str]] = []
    for row in csv.DictReader(io.StringIO(text)):
        if " " in row["token"]:
            phrases.append((row["token"], row["expansion"], row["modality"]))
        else:
            tokens[(row["token"], row["modality"])] = row["expansion"]
    return tokens, phrases


@cache
def _vocabulary() -> tuple[str, ...]:
    tokens, _ = _abbreviations()
    words = {t for (t, _m) in tokens if len(t) >= 4}
    for exam in exam_types().values():
        for alias in exam.aliases:
            words.update(alias.split())
    return tuple(sorted(words))


def _basic(text: str) -> str:
    text = strip_accents(text).lower()
    for pattern, replacement in _SHORTHAND:
        text = pattern.sub(replacement, text)
    return re.sub(r"[^a-z0-9]+", " ", text)


def normalise(text: str, modality: str | None = None) -> list[str]:
    """The meaningful canonical tokens of a description (order kept)."""
    tokens, phrases = _abbreviations()
    vocabulary = _vocabulary()
    out: list[str] = []
    for token in _basic(text).split():
        if token in NOISE:
            continue
        known = (token, modality or "") in tokens or (token, "") in tokens
        if not known and token not in vocabulary and len(token) >= 4:
            match = process.extractOne(token, vocabulary, scorer=fuzz.ratio, score_cutoff=78)
            if match is not None:
                token = match[0]
        expansion = tokens.get((token, modality or ""), tokens.get((token, "")))
        if expansion is None:
            out.append(token)
        elif expansion:
            out.extend(expansion.split())
    joined = " ".join(out)
    for phrase, expansion, phrase_modality in phrases:
        if not phrase_modality or phrase_modality == modality:
            joined = re.sub(rf"\b{phrase}\b", expansion, joined)
    known_words = set(vocabulary)
    return [t for t in joined.split() if t in known_words]


def _score(query: list[str], alias: str) -> float:
    q = " ".join(sorted(set(query)))
    a = " ".join(sorted(set(alias.split())))
    return float(fuzz.token_sort_ratio(q, a))


def candidates(modality: str | None) -> list[ExamType]:
    return [e for e in exam_types().values() if modality is None or e.modality == modality]


def suggest(description: str, modality: str | None = None, *, limit: int = 5) -> list[Suggestion]:
    """Exam types for ``description``, best first (empty when nothing is recognisable)."""
    query = normalise(description, modality)
    if not query:
        return []
    scored: list[Suggestion] = []
    for exam in candidates(modality):
        best = max(_score(query, alias) for alias in exam.aliases)
        if best >= _SCORE_FLOOR:
            scored.append(Suggestion(exam.code, exam.label_fr, round(best, 1)))
    scored.sort(key=lambda s: (-s.score, s.exam_type))
    return scored[:limit]
