"""Synthetic French study descriptions (NRD matcher tuning set, region benchmark).

Each exam type has several ways a RIS writes it; each is decorated with a modality prefix,
contrast / projection / laterality shorthand, then case, accents, word order and typos are
perturbed with a seeded generator.
"""

from __future__ import annotations

import random

BODY: dict[str, tuple[str, list[str]]] = {
    "CT_THORAX": ("CT", ["thorax", "thoracique", "THX", "pulmonaire", "thorax low dose"]),
    "CT_TAP": ("CT", ["TAP", "thoraco-abdomino-pelvien", "thorax abdomen pelvis", "T.A.P"]),
    "CT_ABDO_PELV": ("CT", ["ABDO-PELV", "abdomino-pelvien", "abdomen pelvis", "abdo pelvien"]),
    "CT_ENCEPHALE": ("CT", ["encéphale", "cérébral", "crâne", "cerebrale", "encephalique"]),
    "CT_RACHIS_L": ("CT", ["rachis lombaire", "lombaire", "rachis lombo-sacré", "RACHIS LOMB"]),
    "CT_MASSIF_FACIAL": ("CT", ["sinus", "massif facial", "face sinus"]),
    "CT_ROCHERS": ("CT", ["rochers", "rocher", "oreilles"]),
    "DX_THORAX_F": ("DX", ["thorax F", "thorax face", "thorax PA", "pulmonaire face", "RP"]),
    "DX_THORAX_P": ("DX", ["thorax P", "thorax profil", "thorax lat", "pulmonaire profil"]),
    "DX_ASP": ("DX", ["ASP", "abdomen sans préparation", "abdomen debout", "ASP couché"]),
    "DX_BASSIN": ("DX", ["bassin", "bassin face", "bassin F", "pelvis"]),
    "DX_HANCHE": ("DX", ["hanche", "hanche G", "hanche D", "hanche F/P", "hanche gauche"]),
    "DX_RACHIS_C": ("DX", ["rachis cervical", "rachis cervical F/P", "cervicales"]),
    "DX_RACHIS_D_F": ("DX", ["rachis dorsal F", "rachis dorsal face", "dorsal face"]),
    "DX_RACHIS_D_P": ("DX", ["rachis dorsal P", "rachis dorsal profil", "dorsal profil"]),
    "DX_RACHIS_L_F": ("DX", ["rachis lombaire F", "rachis lombaire face", "lombaire face"]),
    "DX_RACHIS_L_P": ("DX", ["rachis lombaire P", "rachis lombaire profil", "rachis lomb profil"]),
    "DX_OPG": ("DX", ["panoramique dentaire", "OPG", "orthopantomogramme", "panoramique"]),
    "MG_MAMMO": ("MG", ["mammographie", "mammo", "mammographie bilatérale", "mammo dépistage"]),
    "NM_FDG": ("NM", ["FDG", "18F-FDG corps entier", "FDG oncologie"]),
    "NM_OS": ("NM", ["osseuse", "os corps entier", "squelette", "osseuse corps entier"]),
    "NM_THYROIDE_TC": ("NM", ["thyroïde", "thyroidienne", "thyroide Tc99m"]),
    "NM_POUMON": ("NM", ["pulmonaire de perfusion", "pulmonaire", "poumons perfusion"]),
    "NM_RENAL_MAG3": ("NM", ["rénale MAG3", "rénale dynamique", "rein MAG3"]),
    "NM_MYOCARDE": ("NM", ["myocardique", "myocardique effort", "myocarde repos"]),
    "NM_CERVEAU": ("NM", ["cérébrale de perfusion", "cérébrale perfusion"]),
}
PREFIX = {
    "CT": ["TDM", "SCANNER", "Scanner", "TDM de", "scanner du", "TDM", ""],
    "DX": ["RX", "Radio", "Radiographie du", "RX", ""],
    "MG": ["", "MG"],
    "NM": ["Scintigraphie", "SCINTI", "TEP", "Tomoscintigraphie", ""],
}
SUFFIX = {
    "CT": ["", "S/IV", "INJ", "avec injection", "sans injection", "C+", "IV"],
    "DX": ["", "", "G", "D", "debout"],
    "MG": ["", "G", "D", "bilatérale"],
    "NM": ["", "", "corps entier"],
}


def _typo(rng: random.Random, text: str) -> str:
    words = text.split()
    long = [i for i, w in enumerate(words) if len(w) >= 6]
    if not long:
        return text
    i = rng.choice(long)
    w = words[i]
    j = rng.randrange(1, len(w) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        w = w[:j] + w[j + 1 :]
    elif kind == 1:
        w = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    else:
        w = w[:j] + w[j] + w[j:]
    words[i] = w
    return " ".join(words)


def _strip(text: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def generate(seed: int, n: int) -> list[tuple[str, str, str]]:
    """(modality, description, expected exam type) triples."""
    rng = random.Random(seed)
    codes = sorted(BODY)
    out: list[tuple[str, str, str]] = []
    for _ in range(n):
        code = rng.choice(codes)
        modality, bodies = BODY[code]
        parts = [rng.choice(PREFIX[modality]), rng.choice(bodies), rng.choice(SUFFIX[modality])]
        text = " ".join(p for p in parts if p)
        roll = rng.random()
        if roll < 0.3:
            text = text.upper()
        elif roll < 0.5:
            text = text.lower()
        if rng.random() < 0.3:
            text = _strip(text)
        if rng.random() < 0.2:
            words = text.split()
            rng.shuffle(words)
            text = " ".join(words)
        if rng.random() < 0.3:
            text = _typo(rng, text)
        out.append((modality, text, code))
    return out
