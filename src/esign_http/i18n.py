"""Languages of the web pages: Simplified Chinese (the source language) and English.

Templates and Python messages are written in Chinese; the Chinese text is the msgid. English
lives in ``locale/en/LC_MESSAGES/messages.po`` and is read with Babel at start-up, so no
compile step (``.mo``) is needed to run. A missing translation falls back to the Chinese text.
"""

from __future__ import annotations

import gettext
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

DEFAULT_LANGUAGE = "zh_CN"
LANGUAGES: dict[str, str] = {"zh_CN": "简体中文", "en": "English"}
LANG_COOKIE = "esign_lang"
LOCALE_DIR = Path(__file__).parent / "locale"


def _l(msgid: str) -> str:
    """Mark a Python string for translation without translating it yet (looked up per request
    with :func:`translate`); the catalog test extracts every ``_l("...")``."""
    return msgid


def normalise_language(value: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """Map ``en``, ``en-US``, ``zh``, ``zh_CN``… to a supported language code."""
    if not value:
        return default
    v = value.strip().replace("-", "_").lower()
    if v.startswith("en"):
        return "en"
    if v.startswith("zh"):
        return "zh_CN"
    return default


class PoTranslations(gettext.NullTranslations):
    """gettext-like translations straight from a ``.po`` file (fuzzy and empty entries skipped)."""

    def __init__(self, messages: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self.messages = dict(messages or {})

    @classmethod
    def from_po(cls, path: Path, locale: str) -> PoTranslations:
        with path.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        messages = {
            str(m.id): str(m.string)
            for m in catalog
            if m.id and isinstance(m.id, str) and isinstance(m.string, str) and m.string and not m.fuzzy
        }
        return cls(messages)

    def gettext(self, message: str) -> str:
        return self.messages.get(message, message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        # Chinese has no plural forms and English pages only use singular phrasing so far.
        return self.gettext(msgid1 if n == 1 else msgid2)


def load_translations(locale_dir: Path = LOCALE_DIR) -> dict[str, PoTranslations]:
    """One translations object per supported language; Chinese is the identity."""
    found: dict[str, PoTranslations] = {DEFAULT_LANGUAGE: PoTranslations()}
    for lang in LANGUAGES:
        po = locale_dir / lang / "LC_MESSAGES" / "messages.po"
        if po.exists():
            found[lang] = PoTranslations.from_po(po, lang)
        else:
            found.setdefault(lang, PoTranslations())
        # Topic catalogues beside messages.po (e.g. physical-seals.po), so that features add
        # their strings without all editing one file.
        for extra in sorted((locale_dir / lang / "LC_MESSAGES").glob("*.po")):
            if extra.name != "messages.po":
                found[lang].messages.update(PoTranslations.from_po(extra, lang).messages)
    return found


TRANSLATIONS = load_translations()


def translate(msgid: str, lang: str, **values: Any) -> str:
    """Translate a msgid into ``lang`` and fill ``%(name)s`` placeholders."""
    text = TRANSLATIONS.get(lang, TRANSLATIONS[DEFAULT_LANGUAGE]).gettext(msgid)
    if not values or "%" not in text:
        return text
    try:
        return text % values
    except (KeyError, ValueError, TypeError):
        # A broken translation must not turn an error message into a 500.
        return text
