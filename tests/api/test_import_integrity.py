"""Imports through the API are all or nothing, and every problem names its file, row, field and reason in
Chinese and English — on SQLite and on PostgreSQL."""

import polars as pl
import sqlalchemy as sa

from api_helpers import login
from kejin.facts.synth import synth_facts
from kejin.store import repo
from kejin.store.models import Enterprise, Fact


def _csv(frame: pl.DataFrame) -> bytes:
    lists = [c for c, t in frame.schema.items() if isinstance(t, pl.List)]
    return frame.with_columns(pl.col(c).list.join(";") for c in lists).write_csv().encode()


def _stored(db) -> tuple[int, int]:
    with db.session() as s:
        return (s.scalar(sa.select(sa.func.count()).select_from(Enterprise)),
                s.scalar(sa.select(sa.func.count()).select_from(Fact)))


def _import(client, name: str, body: bytes) -> dict:
    r = client.post("/api/v1/imports", files={"file": (name, body, "text/csv")})
    assert r.status_code == 202, r.text
    return client.get(f"/api/v1/imports/{r.json()['id']}").json()


def test_overlong_name_names_the_row_and_writes_nothing(app, seeded):
    bureau = login(app, "bureau")
    frame = synth_facts(300, seed=21)
    names = frame["name"].to_list()
    names[149] = "长" * 201  # data row 150: row 151 of the file (the header is row 1)
    before = _stored(seeded)
    job = _import(bureau, "firms.csv", _csv(frame.with_columns(pl.Series("name", names))))
    assert job["status"] == "failed" and job["rows_written"] == 0
    (p,) = job["problems"]
    assert (p["code"], p["file"], p["row"], p["field"]) == ("value.too_long", "firms.csv", 151, "name")
    assert "200" in p["message_zh"] and "200" in p["message_en"]
    assert _stored(seeded) == before


def test_overlong_name_by_the_api_names_row_and_field(app):
    firm = login(app, "firm1")
    uscc = firm.get("/api/v1/enterprises").json()["data"][0]["uscc"]
    row = firm.get(f"/api/v1/enterprises/{uscc}/record").json()["facts"][-1]
    r = firm.put(f"/api/v1/enterprises/{uscc}/facts/{row['year']}", json={"facts": {**row, "name": "长" * 201}})
    (p,) = r.json()["problems"]
    assert r.status_code == 422 and (p["row"], p["field"]) == (1, "name") and p["message_zh"] and p["message_en"]


def test_failure_in_the_middle_of_a_large_import_writes_nothing(app, seeded, monkeypatch):
    bureau = login(app, "bureau")
    before = _stored(seeded)
    orig = repo.write_facts

    def fail_midway(s, frame, **kw):
        def boom(done):
            if done >= 1000:
                raise RuntimeError("connection lost")

        return orig(s, frame, **{**kw, "after_chunk": boom})

    monkeypatch.setattr(repo, "write_facts", fail_midway)
    job = _import(bureau, "big.csv", _csv(synth_facts(2000, seed=22)))
    assert job["status"] == "failed" and job["rows_written"] == 0
    assert job["problems"][0]["message_zh"] and job["problems"][0]["message_en"]
    assert _stored(seeded) == before


def test_second_import_of_the_same_file_replaces_and_does_not_duplicate(app, seeded):
    bureau = login(app, "bureau")
    body = _csv(synth_facts(120, seed=23))
    first = _import(bureau, "same.csv", body)
    assert first["status"] == "succeeded" and first["rows_written"] == 120
    after_first = _stored(seeded)
    second = _import(bureau, "same.csv", body)
    assert second["status"] == "succeeded" and second["sha256"] == first["sha256"]
    assert _stored(seeded) == after_first


def test_firm_edit_waits_for_an_import_writing_the_same_year(app, seeded):
    """An import that is writing the same new enterprise-year when a firm saves it: the firm's save waits for
    the import and then replaces its row (before: a unique-key 500 on PostgreSQL, 'database is locked' on SQLite)."""
    import threading
    import time

    firm = login(app, "firm1")
    uscc = firm.get("/api/v1/enterprises").json()["data"][0]["uscc"]
    row = firm.get(f"/api/v1/enterprises/{uscc}/record").json()["facts"][-1]
    new_year = row["year"] + 1
    holding, release = threading.Event(), threading.Event()

    def import_in_progress():
        with seeded.sessions() as s:
            s.connection(execution_options={"immediate": True})
            repo.lock_for_import(s)
            s.add(Fact(uscc=uscc, year=new_year, data={**row, "year": new_year}, import_job_id=None))
            s.flush()
            holding.set()
            release.wait(10)
            s.commit()

    t = threading.Thread(target=import_in_progress)
    t.start()
    assert holding.wait(10)
    firm.get(f"/api/v1/enterprises/{uscc}")  # the request's session has read before the import commits
    answer = {}
    put = threading.Thread(target=lambda: answer.update(r=firm.put(f"/api/v1/enterprises/{uscc}/facts/{new_year}",
                                                                  json={"facts": {**row, "employees": row["employees"] + 1}})))
    put.start()
    time.sleep(0.5)
    release.set()
    t.join(10)
    put.join(60)
    assert answer["r"].status_code == 200, answer["r"].text
    with seeded.session() as s:
        (f,) = s.scalars(sa.select(Fact).where(Fact.uscc == uscc, Fact.year == new_year)).all()
        assert f.data["employees"] == row["employees"] + 1
