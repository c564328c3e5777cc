"""The `evjourney` command line."""

from __future__ import annotations

from pathlib import Path

import jwt
import pytest

from api.cli import main
from api.settings import DEV_JWT_SECRET
from services.demo import demo_owner_id

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _embedded_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MONGODB_URI", "JWT_SECRET", "JWT_JWKS_URL", "EVJ_DATA_PATH"):
        monkeypatch.delenv(name, raising=False)


def test_export_schema_matches_the_committed_sdl(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export-schema"]) == 0
    assert capsys.readouterr().out == (ROOT / "schema.graphql").read_text()


def test_token_for_an_owner_defaults_to_the_first_demo_owner(
    capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["token", "--role", "OWNER", "--ttl", "5"]) == 0
    claims = jwt.decode(capsys.readouterr().out.strip(), DEV_JWT_SECRET, algorithms=["HS256"])
    assert claims["role"] == "OWNER"
    assert claims["sub"] == demo_owner_id(7)
    assert claims["exp"] - claims["iat"] == 300


def test_staff_token_needs_a_center(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "--role", "SERVICE_STAFF"]) == 2
    assert main(["token", "--role", "SERVICE_STAFF", "--center", "c-1"]) == 0
    token = capsys.readouterr().out.strip()
    assert jwt.decode(token, DEV_JWT_SECRET, algorithms=["HS256"])["centerId"] == "c-1"


def test_real_mongodb_without_a_secret_refuses_to_start(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MONGODB_URI", "mongodb://db.invalid:27017")
    assert main(["serve", "--port", "1"]) == 2
    assert "JWT_SECRET" in capsys.readouterr().err


def test_seed_refuses_a_store_that_would_vanish(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["seed", "--owners", "5"]) == 2
    assert "EVJ_DATA_PATH" in capsys.readouterr().err


def test_seed_writes_demo_data_once_into_a_file_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("EVJ_DATA_PATH", str(tmp_path / "demo.sqlite"))
    assert main(["seed", "--owners", "3", "--seed", "5"]) == 0
    assert "seeded 3 owners" in capsys.readouterr().out
    assert main(["seed", "--owners", "3", "--seed", "5"]) == 0
    assert "already has owners" in capsys.readouterr().out


def test_import_stations_reads_an_ocpi_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("EVJ_DATA_PATH", str(tmp_path / "stations.sqlite"))
    ocpi = ROOT.parent / "shared" / "data" / "ocpi-2.2.1" / "location_example.json"
    assert main(["import-stations", str(ocpi)]) == 0
    assert "imported 1, updated 0, rejected 0" in capsys.readouterr().out
    broken = tmp_path / "broken.json"
    broken.write_text('{"data": [{"id": "x"}]}')
    assert main(["import-stations", str(broken)]) == 1
    assert "rejected 1" in capsys.readouterr().out
