"""Sentiment of check-in answers: a local lexicon analyser always, and a hook for a model to refine it.

The local analyser is VADER (vaderSentiment): offline, fast, English-centred. The `ai` layer can later
pass a `SentimentRefiner` (e.g. one backed by Claude) to `analyse`; it sees the answers and the local
result, and returns a better Sentiment or None to keep the local one. Core stays free of model code.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

Label = Literal["positive", "neutral", "negative"]
LABELS: tuple[Label, ...] = ("positive", "neutral", "negative")
LOCAL_SOURCE = "vader"
# VADER's recommended thresholds on the compound score.
POSITIVE_FROM = 0.05
NEGATIVE_TO = -0.05


@dataclass(frozen=True)
class Sentiment:
    """A score from -1 (most negative) to 1 (most positive), its label, and who computed it."""

    score: float
    label: Label
    source: str = LOCAL_SOURCE

    def __post_init__(self) -> None:
        if not (math.isfinite(self.score) and -1.0 <= self.score <= 1.0):
            raise ValueError(f"sentiment score must be within -1..1 (got {self.score!r})")
        if self.label not in LABELS:
            raise ValueError(f"sentiment label must be one of {LABELS} (got {self.label!r})")
        if not self.source or len(self.source) > 32:
            raise ValueError("sentiment source must be 1-32 characters")

    def to_json(self) -> dict[str, Any]:
        return {"score": self.score, "label": self.label, "source": self.source}


def label_for(score: float) -> Label:
    """The label of a compound score, with VADER's thresholds."""
    if score >= POSITIVE_FROM:
        return "positive"
    if score <= NEGATIVE_TO:
        return "negative"
    return "neutral"


class SentimentRefiner(Protocol):
    """A second opinion from a model, provided by the ai layer (the hook for the AI issue).

    `refine` gets the answer texts and the local result. It returns a Sentiment (with `source` naming
    the model) to replace the local one, or None when it cannot help (offline, no key, timeout). It
    should not raise: a check-in must never fail because a model is unavailable.
    """

    def refine(self, texts: Sequence[str], local: Sentiment) -> Sentiment | None: ...


@cache
def _vader() -> SentimentIntensityAnalyzer:
    """VADER with its lexicon loaded; built on first use and kept, as loading takes a while and it never changes."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def load_lexicon() -> None:
    """Build VADER now (reading its lexicon: about a tenth of a warm check-in's time), for a process that forks
    workers (the warm server) so that each check-in's worker finds it built."""
    _vader()


class LexiconAnalyser:
    """VADER: each answer is scored, and the check-in gets the mean compound score."""

    def score(self, text: str) -> float:
        """The compound score of one text."""
        return float(_vader().polarity_scores(text)["compound"])

    def analyse(self, texts: Sequence[str]) -> Sentiment | None:
        """The sentiment of several answers taken together; None when there is no text."""
        scores = [self.score(text) for text in texts if text.strip()]
        if not scores:
            return None
        mean = round(sum(scores) / len(scores), 4)
        return Sentiment(mean, label_for(mean), LOCAL_SOURCE)


def analyse(
    texts: Sequence[str],
    *,
    refiner: SentimentRefiner | None = None,
    local: LexiconAnalyser | None = None,
) -> Sentiment | None:
    """Score answers locally, then let the refiner (if any) replace the result."""
    result = (local or LexiconAnalyser()).analyse(texts)
    if result is None or refiner is None:
        return result
    refined = refiner.refine(list(texts), result)
    if refined is None:
        return result
    if not isinstance(refined, Sentiment):
        raise TypeError(f"a sentiment refiner returned {type(refined).__name__}, not Sentiment")
    return refined
