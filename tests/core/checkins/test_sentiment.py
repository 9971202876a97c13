"""The local sentiment analyser, its labels, and the hook a model-based refiner plugs into."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence

import pytest

from paa.core.checkins.sentiment import LexiconAnalyser, Sentiment, analyse, label_for


def test_clear_texts_get_the_expected_labels() -> None:
    happy = analyse(["What a wonderful, happy day. I loved the walk!"])
    sad = analyse(["Awful day. I feel miserable and exhausted, everything went wrong."])
    flat = analyse(["I took the bus to the office."])
    assert happy is not None and happy.label == "positive" and happy.score > 0.5
    assert sad is not None and sad.label == "negative" and sad.score < -0.5
    assert flat is not None and flat.label == "neutral" and flat.score == 0.0
    assert happy.source == sad.source == "vader"


def test_negation_is_understood() -> None:
    result = analyse(["I am not happy at all."])
    assert result is not None and result.label == "negative"


def test_several_answers_give_their_mean_score() -> None:
    analyser = LexiconAnalyser()
    texts = ["Great day!", "Terrible commute.", "Nothing special."]
    expected = round(sum(analyser.score(t) for t in texts) / 3, 4)
    result = analyse(texts, local=analyser)
    assert result is not None
    assert result.score == expected
    assert result.label == label_for(expected)


def test_no_text_means_no_sentiment() -> None:
    assert analyse([]) is None
    assert analyse(["   ", "\n"]) is None


@pytest.mark.parametrize(
    ("score", "label"),
    [(0.05, "positive"), (0.0499, "neutral"), (0.0, "neutral"), (-0.0499, "neutral"), (-0.05, "negative")],
)
def test_labels_follow_vader_thresholds(score: float, label: str) -> None:
    assert label_for(score) == label


@pytest.mark.parametrize(
    "kwargs",
    [
        {"score": 1.5, "label": "positive"},
        {"score": float("nan"), "label": "neutral"},
        {"score": 0.1, "label": "happy"},
        {"score": 0.1, "label": "positive", "source": ""},
    ],
)
def test_a_sentiment_must_be_well_formed(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Sentiment(**kwargs)  # type: ignore[arg-type]


class ScriptedRefiner:
    """Stands in for a model: records what it saw and answers as told."""

    def __init__(self, answer: object) -> None:
        self.answer = answer
        self.seen: list[tuple[list[str], Sentiment]] = []

    def refine(self, texts: Sequence[str], local: Sentiment) -> Sentiment | None:
        self.seen.append((list(texts), local))
        return self.answer  # type: ignore[return-value]


def test_a_refiner_sees_the_local_result_and_can_replace_it() -> None:
    refiner = ScriptedRefiner(Sentiment(-0.3, "negative", "claude-test"))
    result = analyse(["Great, another meeting. Just great."], refiner=refiner)
    assert result == Sentiment(-0.3, "negative", "claude-test")
    [(texts, local)] = refiner.seen
    assert texts == ["Great, another meeting. Just great."]
    assert local.source == "vader" and local.label == "positive"  # the lexicon misses the sarcasm


def test_a_refiner_returning_none_keeps_the_local_result() -> None:
    result = analyse(["Lovely evening"], refiner=ScriptedRefiner(None))
    assert result is not None and result.source == "vader" and result.label == "positive"


def test_a_refiner_is_not_asked_when_there_is_no_text() -> None:
    refiner = ScriptedRefiner(Sentiment(0.9, "positive", "model"))
    assert analyse([" "], refiner=refiner) is None
    assert refiner.seen == []


def test_a_refiner_returning_something_else_is_a_bug_not_a_result() -> None:
    with pytest.raises(TypeError):
        analyse(["fine"], refiner=ScriptedRefiner({"score": 1}))


@pytest.mark.e2e
def test_importing_checkin_code_does_not_load_vader() -> None:
    modules = "paa.core.checkins.entries, paa.core.checkins.sentiment, paa.cli.checkin, paa.cli.checkin_views"
    code = f"import sys, {modules}; print('vaderSentiment' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "False", done.stderr
