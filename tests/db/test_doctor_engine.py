"""`paa doctor` names the engine in use, with its version, and shows that it answers (a read and a write)."""

from __future__ import annotations

import json
import os

from sqlalchemy.engine import make_url


def test_doctor_names_the_engine_and_that_it_answers(cli, db_engine: str) -> None:
    assert cli("habit", "add", "Run").code == 0

    result = cli("doctor", "--json")

    [database] = [check for check in json.loads(result.out) if check["name"] == "database"]
    assert database["status"] == "ok", database
    expected = "SQLite 3." if db_engine == "sqlite" else "PostgreSQL "
    assert database["detail"].startswith(expected) and " answers: " in database["detail"]
    password = make_url(os.environ["PAA_DB_URL"]).password if db_engine == "postgresql" else None
    if password:
        assert f":{password}@" not in database["detail"]


def test_doctor_says_where_memory_vectors_live(cli, db_engine: str) -> None:
    from paa.ai import embeddings

    [line] = [check for check in json.loads(cli("doctor", "--json").out) if check["name"] == "embeddings"]
    if line["status"] == "ok":  # the model is installed: the line ends with where its vectors are kept
        expected = embeddings.SHARED_VECTORS_AT if db_engine == "postgresql" else embeddings.VECTORS_AT
        assert line["detail"].endswith(f"; {expected}")
    else:
        assert "vectors in" not in line["detail"]
