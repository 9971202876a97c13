"""Daily check-ins: prompts, answers, mood, reflection and sentiment."""
