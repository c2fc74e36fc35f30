"""The model registry: every model the engine may run, by id, with its version."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from organ_models import (
    ct,
    ct_ncict,
    ct_organs,
    fluoro_effective,
    fluoroscopy,
    mammography,
    nuclear,
    radiography,
    ssde,
)
from organ_models.common import ModelInfo

_MODELS: tuple[ModelInfo, ...] = (
    ct.MODEL,
    ct_organs.MODEL,
    ct_ncict.MODEL,
    ssde.MODEL,
    ssde.REPORTED,
    radiography.EFFECTIVE,
    radiography.ESD,
    fluoro_effective.EFFECTIVE,
    fluoroscopy.SKIN,
    mammography.REPORTED,
    mammography.DANCE,
    nuclear.MODEL,
    nuclear.REPORTED,
    nuclear.FROM_ORGANS,
)

REGISTRY: Mapping[str, ModelInfo] = MappingProxyType({m.model_id: m for m in _MODELS})


def get_model(model_id: str) -> ModelInfo:
    """A registered model by id (KeyError when unknown)."""
    return REGISTRY[model_id]
