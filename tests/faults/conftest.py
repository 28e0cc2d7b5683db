"""Fault-test fixtures: a PostgreSQL database per test, copied from one migrated and seeded
template (CREATE DATABASE … TEMPLATE takes a fraction of a second; migrating takes seconds)."""
from __future__ import annotations

import asyncio
import uuid

import pytest

from tests.conftest import PG_ADMIN_URL, _pg_admin


def _asyncpg_url(name: str) -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return f"{base}/{name}"


@pytest.fixture(scope="session")
def faults_template(pg_database_url, tmp_path_factory):
    """A database with the schema, the merged lines and the demo accounts (pg_database_url makes a
    missing PostgreSQL a skip, or a failure under HOTLINE_REQUIRE_PG=1)."""
    from hotline.testing_processes import prepare_database

    name = f"hotline_ftpl_{uuid.uuid4().hex[:10]}"
    _pg_admin(f'CREATE DATABASE "{name}"')
    asyncio.run(prepare_database(tmp_path_factory.mktemp("template"), _asyncpg_url(name)))
    yield name
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def fault_database_url(faults_template):
    name = f"hotline_fault_{uuid.uuid4().hex[:10]}"
    _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{faults_template}"')
    yield _asyncpg_url(name)
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
