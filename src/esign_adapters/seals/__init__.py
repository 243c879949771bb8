"""Seal images: generated enterprise, legal-person and signature seals, and uploaded seal images."""

from esign_adapters.seals.renderer import PillowSealRenderer, pixel_size
from esign_adapters.seals.upload import normalise_upload

__all__ = ["PillowSealRenderer", "normalise_upload", "pixel_size"]
