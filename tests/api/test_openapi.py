"""The OpenAPI schema is served, browsable, and says for every route what it is and which problems it answers."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from paa.api.app import PREFIX
from paa.api.problems import PROBLEM_JSON

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture
def schema(http: TestClient) -> dict[str, Any]:
    answer = http.get(f"{PREFIX}/openapi.json")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")
    found: dict[str, Any] = answer.json()
    return found


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def test_the_schema_is_served_without_a_token_and_names_paa(schema: dict[str, Any]) -> None:
    assert schema["info"]["title"] == "paa"
    assert schema["openapi"].startswith("3.")
    assert f"{PREFIX}/habits" in schema["paths"]


def test_the_interactive_docs_are_served_and_read_the_schema(http: TestClient) -> None:
    answer = http.get(f"{PREFIX}/docs")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert f"{PREFIX}/openapi.json" in answer.text


def _named_by_fastapi(path: str, method: str, operation: dict[str, Any]) -> bool:
    """Whether the summary is the one FastAPI makes up from the function's name when a route gives none."""
    suffix = re.sub(r"\W", "_", path) + "_" + method
    operation_id: str = operation.get("operationId", "")
    function = operation_id.removesuffix(suffix) if operation_id.endswith(suffix) else None
    return function is not None and operation.get("summary") == function.replace("_", " ").title()


def test_every_route_has_a_summary_and_a_tag(schema: dict[str, Any]) -> None:
    missing = [
        f"{method.upper()} {path}"
        for path, method, operation in _operations(schema)
        if not operation.get("summary") or not operation.get("tags") or _named_by_fastapi(path, method, operation)
    ]
    assert missing == [], f"routes without a summary of their own or a tag: {missing}"


def test_a_route_without_a_summary_of_its_own_is_noticed() -> None:
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/things/{thing_id}")
    def show_thing(thing_id: int) -> dict[str, int]:
        return {"id": thing_id}

    operation = app.openapi()["paths"]["/things/{thing_id}"]["get"]
    assert _named_by_fastapi("/things/{thing_id}", "get", operation)
    assert not operation.get("tags")


def test_every_api_route_documents_its_problems_as_problem_json(schema: dict[str, Any]) -> None:
    wrong = []
    for path, method, operation in _operations(schema):
        if not path.startswith(PREFIX):
            continue
        answers = operation["responses"]
        expected = {"429"}
        if operation.get("security"):
            expected.add("401")
        if any(parameter["in"] == "path" for parameter in operation.get("parameters", [])):
            expected.add("404")
        if operation.get("parameters") or "requestBody" in operation:
            expected.add("422")
        for code in sorted(expected):
            content = answers.get(code, {}).get("content", {})
            if content.get(PROBLEM_JSON, {}).get("schema") != {"$ref": "#/components/schemas/Problem"}:
                wrong.append(f"{method.upper()} {path} {code}")
        errors = [code for code in answers if code[0] in "45"]
        assert all(set(answers[code]["content"]) == {PROBLEM_JSON} for code in errors), (method, path)
    assert wrong == [], f"problem responses not documented as problem+json: {wrong}"
    assert "HTTPValidationError" not in schema["components"]["schemas"]  # FastAPI's 422 is never sent


def test_routes_that_need_a_token_say_so(schema: dict[str, Any]) -> None:
    assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    secured = {f"{method.upper()} {path}" for path, method, op in _operations(schema) if op.get("security")}
    assert f"GET {PREFIX}/habits" in secured
    assert f"POST {PREFIX}/auth/login" not in secured
    assert "GET /healthz" not in secured


def test_a_real_problem_matches_the_documented_shape(schema: dict[str, Any], alice: Any) -> None:
    answer = alice.post(f"{PREFIX}/habits", json={"name": "Read", "target": "lots"})
    assert answer.status_code == 422
    assert answer.headers["content-type"] == PROBLEM_JSON
    body = answer.json()
    problem = schema["components"]["schemas"]["Problem"]
    assert set(problem["required"]) <= set(body)
    assert body["errors"][0]["loc"] == ["body", "target"]
    assert alice.get(f"{PREFIX}/habits/999").json()["type"] == "/problems/not-found"


def test_the_habit_routes_answer_the_documented_shapes(alice: Any) -> None:
    """Each habit route's real answer holds to the schema it documents (json.md's objects), with data in it."""
    from pydantic import TypeAdapter

    from paa.api import schemas

    def holds(model: Any, answer: Any) -> None:
        assert answer.status_code < 300, answer.text
        TypeAdapter(model).validate_json(answer.content)

    holds(schemas.Habit, alice.post(f"{PREFIX}/habits", json={"name": "Water", "unit": "glasses", "target": 8}))
    holds(schemas.Habit, alice.post(f"{PREFIX}/habits", json={"name": "Run", "days": "mon,wed,fri", "remind": "07:00"}))
    holds(schemas.LogResult, alice.post(f"{PREFIX}/habits/1/log", json={"value": 3, "note": "morning"}))
    holds(schemas.LogResult, alice.post(f"{PREFIX}/habits/2/skip", json={"date": "monday"}))
    holds(list[schemas.HabitStatus], alice.get(f"{PREFIX}/habits"))
    holds(schemas.HabitsToday, alice.get(f"{PREFIX}/habits/today"))
    holds(schemas.HabitDetail, alice.get(f"{PREFIX}/habits/1"))
    holds(schemas.HabitHistory, alice.get(f"{PREFIX}/habits/1/history"))
    holds(schemas.Habit, alice.patch(f"{PREFIX}/habits/1", json={"target": 9}))
    holds(schemas.Habit, alice.post(f"{PREFIX}/habits/2/archive"))
    holds(schemas.Habit, alice.post(f"{PREFIX}/habits/2/unarchive"))
    holds(schemas.Unlogged, alice.delete(f"{PREFIX}/habits/1/log"))


def test_the_checkin_routes_answer_the_documented_shapes(alice: Any) -> None:
    from pydantic import TypeAdapter

    from paa.api import schemas

    def holds(model: Any, answer: Any) -> None:
        assert answer.status_code < 300, answer.text
        TypeAdapter(model).validate_json(answer.content)

    assert alice.post(f"{PREFIX}/habits", json={"name": "Water", "unit": "glasses", "target": 8}).status_code == 201
    body = {"mood": 4, "energy": 3, "answers": ["Calm, productive", "Shipped the report"]}
    holds(schemas.CheckinResult, alice.post(f"{PREFIX}/checkins/daily", json=body))
    holds(schemas.Checkin, alice.get(f"{PREFIX}/checkins/today"))
    holds(schemas.CheckinResult, alice.patch(f"{PREFIX}/checkins/today", json={"energy": 2}))
    holds(schemas.CheckinHistory, alice.get(f"{PREFIX}/checkins/history"))
    holds(list[schemas.Prompt], alice.get(f"{PREFIX}/checkins/prompts"))


def test_a_documented_shape_refuses_an_answer_missing_a_field() -> None:
    from pydantic import TypeAdapter, ValidationError

    from paa.api import schemas

    with pytest.raises(ValidationError, match="note_shortened"):
        TypeAdapter(schemas.LogResult).validate_python(
            {
                "habit": {"id": 1, "name": "Run"},
                "outcome": "created",
                "log": {"day": "2026-11-26", "status": "done", "value": None, "note": None},
            }
        )


def test_memory_search_answers_the_documented_shape(alice: Any) -> None:
    """A hit holds every field json.md's MemoryHit documents, and no other."""
    from pydantic import TypeAdapter

    from paa.api import schemas

    assert alice.post(f"{PREFIX}/memory", json={"text": "I'm training for a half marathon in March"}).status_code == 201
    answer = alice.get(f"{PREFIX}/memory/search", params={"q": "half marathon"})
    assert answer.status_code == 200, answer.text
    hits = TypeAdapter(list[schemas.MemoryHit]).validate_json(answer.content)
    assert hits[0].matched_words == ["half", "marathon"] and 0 < hits[0].relevance <= 100
    assert set(answer.json()[0]) == set(schemas.MemoryHit.model_fields)
