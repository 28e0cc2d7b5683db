"""The shipped sample: a city's departments (市直部门, 区县, 街道) and its 派单目录, for `hotline demo`
and for trying the console. A real city imports its own list (`hotline catalogue import`)."""
from __future__ import annotations

import csv
import io
from importlib import resources

DEPARTMENTS_CSV = "sample-departments.csv"
CATALOGUE_CSV = "sample-catalogue.csv"


def _text(name: str) -> str:
    return (resources.files("tickets") / "data" / name).read_text(encoding="utf-8")


def catalogue_text() -> str:
    return _text(CATALOGUE_CSV)


async def load_sample(tickets, catalogue, actor: str = "demo") -> dict:
    """Departments (parents first, as listed) and, if the catalogue is still empty, the sample catalogue."""
    for row in csv.DictReader(io.StringIO(_text(DEPARTMENTS_CSV))):
        await tickets.add_department(row["code"], row["name"], kind=row["kind"], parent=row["parent"] or None)
    if await catalogue.rules():
        return {"added": 0, "changed": 0}
    return await catalogue.import_csv(catalogue_text(), actor)
