import subprocess
import sys
import threading
import time
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa

from kejin.facts import load_facts
from kejin.store import repo
from kejin.store.models import Fact

SAMPLE = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "enterprise_facts_sample.csv"


@pytest.fixture
def sample():
    if not SAMPLE.exists():
        pytest.skip(f"shared sample file not found at {SAMPLE}")
    return load_facts(SAMPLE)


def test_facts_round_trip(db, sample):
    assert repo.import_facts(db, sample) == sample.height
    with db.session() as s:
        back = repo.load_facts_table(s)
    assert back.equals(sample.sort("uscc", "year"))


def test_failed_import_writes_nothing(db, sample):
    repo.import_facts(db, sample.head(3))

    def boom(done):
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        repo.import_facts(db, sample, after_chunk=boom)
    with db.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Fact)) == 3


def test_concurrent_imports_do_not_interleave(db, sample):
    a = sample
    b = sample.with_columns(pl.col("employees") + 1)
    marks = {}

    def run(frame, job):
        def slow(done):
            time.sleep(0.01)

        repo.import_facts(db, frame, job_id=job, after_chunk=slow)
        marks[job] = True

    ts = [threading.Thread(target=run, args=(f, j)) for f, j in ((a, 1), (b, 2))]
    # chunks of 200 would be one chunk here; make the writes many small steps
    orig = repo.write_facts
    repo.write_facts = lambda s, frame, **kw: orig(s, frame, **{**kw, "chunk": 2})
    try:
        for t in ts:
            t.start()
        for t in ts:
            t.join()
    finally:
        repo.write_facts = orig
    assert marks == {1: True, 2: True}
    with db.session() as s:
        jobs = set(s.scalars(sa.select(Fact.import_job_id)))
        back = repo.load_facts_table(s)
    assert len(jobs) == 1  # every row comes from the one import that committed last
    winner = a if jobs == {1} else b
    assert back.equals(winner.sort("uscc", "year"))


CRASH = """
import os, sys
import polars as pl
from kejin.facts import load_facts
from kejin.store import repo
from kejin.store.db import Database
db = Database(sys.argv[1])
frame = load_facts(sys.argv[2]).with_columns(pl.col("employees") + 7)
orig = repo.write_facts
repo.write_facts = lambda s, f, **kw: orig(s, f, **{**kw, "chunk": 5})
def die(done):
    if done >= 10:
        os._exit(9)  # the process dies mid-import, no cleanup
repo.import_facts(db, frame, job_id=99, after_chunk=die)
"""


def test_killed_import_leaves_database_as_before(db, url, sample):
    repo.import_facts(db, sample, job_id=1)
    with db.session() as s:
        before = repo.load_facts_table(s)
    db.dispose()
    proc = subprocess.run([sys.executable, "-c", CRASH, url, str(SAMPLE)], capture_output=True, timeout=120)
    assert proc.returncode == 9, proc.stderr.decode()[-2000:]
    with db.session() as s:
        after = repo.load_facts_table(s)
        assert set(s.scalars(sa.select(Fact.import_job_id))) == {1}
    assert after.equals(before)


def test_importing_an_earlier_year_keeps_the_latest_identity(db):
    from kejin.facts.synth import synth_facts
    from kejin.store.models import Enterprise

    frame = synth_facts(9, seed=5)  # three firms, three years each
    repo.import_facts(db, frame)
    first = frame["uscc"][0]
    last_year = frame.filter(pl.col("uscc") == first)["year"].max()
    old = frame.filter((pl.col("uscc") == first) & (pl.col("year") < last_year)).with_columns(
        pl.lit("旧名称有限公司").alias("name"), pl.lit("110101").alias("region_code"))
    repo.import_facts(db, old)
    with db.session() as s:
        e = s.get(Enterprise, first)
        assert (e.name, e.region_code) == tuple(frame.filter((pl.col("uscc") == first) & (pl.col("year") == last_year))
                                                .select("name", "region_code").row(0))
    repo.import_facts(db, frame.filter(pl.col("uscc") == first).with_columns(pl.lit("新名称有限公司").alias("name")))
    with db.session() as s:
        assert s.get(Enterprise, first).name == "新名称有限公司"  # a file with the latest year renames the firm


def test_jobs_of_a_stopped_process_are_marked_failed_at_start(db, monkeypatch):
    from kejin.cli import serve
    from kejin.store.models import ImportJob

    with db.session() as s:
        s.add_all([ImportJob(filename="a.csv", sha256="0" * 64, status="running", rows_total=10, rows_written=0),
                   ImportJob(filename="b.csv", sha256="1" * 64, status="queued"),
                   ImportJob(filename="c.csv", sha256="2" * 64, status="succeeded", rows_written=3)])
    started = []
    monkeypatch.setattr("uvicorn.run", lambda app, **kw: started.append(app))
    serve.serve(host="127.0.0.1", port=1, database_url=db.url, demo=False)
    assert started
    with db.session() as s:
        jobs = {j.filename: j for j in s.scalars(sa.select(ImportJob))}
    assert {k: j.status for k, j in jobs.items()} == {"a.csv": "failed", "b.csv": "failed", "c.csv": "succeeded"}
    (p,) = jobs["a.csv"].problems
    assert p["file"] == "a.csv" and "未写入任何数据" in p["message_zh"] and "nothing was written" in p["message_en"]
    assert jobs["a.csv"].finished_at is not None and jobs["c.csv"].problems is None
