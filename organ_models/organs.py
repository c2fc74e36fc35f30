"""Organ codes (SCT) of the organ-dose models and region codes of CT target regions.

The tissue keys are those of ``data/icrp103_tissue_weights.csv``; organ names used by the
other tables (``lungs``, ``urinary bladder wall``...) map to the same keys here. Codes are
compared with :func:`dosewatch.domain.codes.same` / ``code_key`` only, never by meaning.
"""

from __future__ import annotations

from typing import Final

# pydicom's Code, taken through the domain (organ_models never imports pydicom itself)
from dosewatch.domain.codes import Code, CodeKey, code_key
from dosewatch.domain.regions import BodyRegion

__all__ = [
    "ORGAN_ALIASES",
    "REGION_BY_CODE",
    "TISSUE_CODES",
    "Code",
    "organ_code",
    "region_of",
    "tissue_key_of",
]


def _sct(value: str, meaning: str) -> Code:
    return Code(value, "SCT", meaning)


#: tissue_key of icrp103_tissue_weights.csv -> SCT code. Gonads are reported per sex
#: (testis / ovary, ICRP 103 §B.3); ``gonads`` stands for the sex-averaged pair.
TISSUE_CODES: Final[dict[str, Code]] = {
    "red_bone_marrow": _sct("14016003", "Bone marrow"),
    "colon": _sct("71854001", "Colon"),
    "lung": _sct("39607008", "Lung"),
    "stomach": _sct("69695003", "Stomach"),
    "breast": _sct("76752008", "Breast"),
    "testis": _sct("40689003", "Testis"),
    "ovary": _sct("15497006", "Ovary"),
    "bladder": _sct("89837001", "Urinary bladder"),
    "oesophagus": _sct("32849002", "Esophagus"),
    "liver": _sct("10200004", "Liver"),
    "thyroid": _sct("69748006", "Thyroid"),
    "bone_surface": _sct("425647002", "Bone surface"),
    "brain": _sct("12738006", "Brain"),
    "salivary_glands": _sct("385294005", "Salivary gland"),
    "skin": _sct("39937001", "Skin"),
    "adrenals": _sct("23451007", "Adrenal gland"),
    "gall_bladder": _sct("28231008", "Gallbladder"),
    "heart": _sct("80891009", "Heart"),
    "kidneys": _sct("64033007", "Kidney"),
    "lymphatic_nodes": _sct("59441001", "Lymph node"),
    "muscle": _sct("71616004", "Muscle"),
    "oral_mucosa": _sct("113277000", "Oral mucosa"),
    "pancreas": _sct("15776009", "Pancreas"),
    "prostate": _sct("41216001", "Prostate"),
    "small_intestine": _sct("30315005", "Small intestine"),
    "spleen": _sct("78961009", "Spleen"),
    "thymus": _sct("9875009", "Thymus"),
    "uterus_cervix": _sct("35039007", "Uterus"),
    # organs of the CT / NM tables that carry no ICRP 103 weight of their own
    "lens_of_eye": _sct("78076003", "Lens"),
    "eye_balls": _sct("79652003", "Eyeball"),
    "pituitary_gland": _sct("56329008", "Pituitary"),
    "spinal_cord": _sct("2748008", "Spinal cord"),
    "oral_cavity": _sct("74262004", "Oral cavity"),
    "upper_large_intestine": _sct("14742008", "Large intestine"),
}

#: organ names used in the reference tables -> tissue key above
ORGAN_ALIASES: Final[dict[str, str]] = {
    "lungs": "lung",
    "breasts": "breast",
    "lens": "lens_of_eye",
    "urinary bladder wall": "bladder",
    "bone surfaces": "bone_surface",
    "gallbladder wall": "gall_bladder",
    "upper large intestine wall": "upper_large_intestine",
    "kidneys": "kidneys",
    "liver": "liver",
    "spleen": "spleen",
}

_KEY_BY_CODE: Final[dict[CodeKey, str]] = {code_key(c): k for k, c in TISSUE_CODES.items()}


def tissue_key_of(name: str) -> str | None:
    """The tissue key for an organ name of a reference table, or None if unmapped."""
    key = name.strip()
    key = ORGAN_ALIASES.get(key, key)
    return key if key in TISSUE_CODES else None


def organ_code(tissue_key: str) -> Code | None:
    return TISSUE_CODES.get(tissue_key)


def tissue_key_of_code(code: Code) -> str | None:
    """The tissue key of an SCT organ code (SRT normalised), or None."""
    return _KEY_BY_CODE.get(code_key(code))


# ----------------------------------------------------------------- CT target regions
#: (scheme, value) of CT Target Region codes (CID 4030; SRT values normalise to SCT) ->
#: the region key of ct_k_factors.csv. Several SCT values exist for one region because
#: DICOM replaced some concepts (e.g. Chest 43799004 for Thorax 51185008).
REGION_BY_CODE: Final[dict[CodeKey, BodyRegion]] = {
    ("SCT", "69536005"): BodyRegion.HEAD,  # Head
    ("SCT", "89546000"): BodyRegion.HEAD,  # Skull
    ("SCT", "12738006"): BodyRegion.HEAD,  # Brain
    ("SCT", "45048000"): BodyRegion.NECK,  # Neck
    ("SCT", "122494005"): BodyRegion.NECK,  # Cervical spine
    ("SCT", "774007"): BodyRegion.HEAD_AND_NECK,  # Head and Neck
    ("SCT", "51185008"): BodyRegion.CHEST,  # Thorax (SRT T-D3000 "Chest")
    ("SCT", "43799004"): BodyRegion.CHEST,  # Chest
    ("SCT", "80891009"): BodyRegion.CARDIAC,  # Heart (cardiac CT)
    ("SCT", "39607008"): BodyRegion.CHEST,  # Lung
    ("SCT", "122495006"): BodyRegion.CHEST,  # Thoracic spine
    ("SCT", "113345001"): BodyRegion.ABDOMEN_PELVIS,  # Abdomen
    ("SCT", "818981001"): BodyRegion.ABDOMEN_PELVIS,  # Abdomen (current)
    ("SCT", "12921003"): BodyRegion.ABDOMEN_PELVIS,  # Pelvis
    ("SCT", "816092008"): BodyRegion.ABDOMEN_PELVIS,  # Pelvis (current)
    ("SCT", "416949008"): BodyRegion.ABDOMEN_PELVIS,  # Abdomen and Pelvis
    ("SCT", "818982008"): BodyRegion.ABDOMEN_PELVIS,  # Abdomen and Pelvis (current)
    ("SCT", "122496007"): BodyRegion.ABDOMEN_PELVIS,  # Lumbar spine
    ("SCT", "10200004"): BodyRegion.ABDOMEN_PELVIS,  # Liver
    ("SCT", "64033007"): BodyRegion.ABDOMEN_PELVIS,  # Kidney
    ("SCT", "416775004"): BodyRegion.CHEST_ABDOMEN_PELVIS,  # Chest, Abdomen and Pelvis
    ("SCT", "416550000"): BodyRegion.CHEST_ABDOMEN_PELVIS,  # Chest and Abdomen
    ("SCT", "38266002"): BodyRegion.CHEST_ABDOMEN_PELVIS,  # Entire body (trunk k used)
}


def region_of(code: Code | None) -> BodyRegion | None:
    """The k-factor region of a CT target region code, or None when unknown/unmapped."""
    if code is None:
        return None
    return REGION_BY_CODE.get(code_key(code))
