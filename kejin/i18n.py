"""Bilingual labels. Chinese (simplified) is the first language of kejin's users."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Text(BaseModel):
    """A label in Chinese and English."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    zh: str
    en: str

    def get(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh

    def both(self) -> str:
        return f"{self.zh} / {self.en}" if self.zh != self.en else self.zh
