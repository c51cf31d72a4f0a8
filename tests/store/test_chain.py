import sqlalchemy as sa
from typer.testing import CliRunner

from kejin.store import chain
from kejin.store.models import PointsBatch, PointsRow


def _rows(k):
    return [{"uscc": f"9144030578778932{i}F", "name": f"企业{i}", "region_code": "440305", "year": 2024,
             "points": 50.0 + i + k, "stage": "growth", "tier": "A" if i % 2 else "B", "percentile": i / 10,
             "input_digest": "d" * 64, "groups": {"rd": 10.5 + i, "ip": 3}} for i in range(5)]


def _publish(db, n=3):
    for k in range(n):
        with db.session() as s:
            chain.append_batch(s, year=2024, method="national-core", method_version="1", method_sha256="m" * 64,
                               published_by="bureau", rows=_rows(k))


def test_chain_links_batches(db):
    _publish(db)
    with db.session() as s:
        n, problems = chain.verify(s)
        batches = s.scalars(sa.select(PointsBatch).order_by(PointsBatch.seq)).all()
    assert n == 3 and problems == []
    assert batches[0].prev_hash == chain.GENESIS
    assert [b.prev_hash for b in batches[1:]] == [b.hash for b in batches[:-1]]


def test_edited_row_is_detected(db):
    _publish(db)
    with db.engine.begin() as conn:
        rid = conn.execute(sa.select(PointsRow.id).join(PointsBatch).where(PointsBatch.seq == 2).limit(1)).scalar()
        conn.execute(sa.update(PointsRow).where(PointsRow.id == rid).values(points=99.0))
    with db.session() as s:
        _, problems = chain.verify(s)
    assert [p.seq for p in problems] == [2]
    assert "content hash" in problems[0].en


def test_rewritten_header_breaks_next_link(db):
    _publish(db)
    with db.session() as s:
        b = s.scalars(sa.select(PointsBatch).where(PointsBatch.seq == 1)).one()
        b.year = 2023  # someone edits history and even recomputes the batch's own hash
        header = {k: getattr(b, k) for k in chain.HEADER_FIELDS}
        b.hash = chain.header_hash(header)
    with db.session() as s:
        _, problems = chain.verify(s)
    assert {p.seq for p in problems} == {2}


def test_deleted_batch_is_detected(db):
    _publish(db)
    with db.engine.begin() as conn:
        bid = conn.execute(sa.select(PointsBatch.id).where(PointsBatch.seq == 2)).scalar()
        conn.execute(sa.delete(PointsRow).where(PointsRow.batch_id == bid))
        conn.execute(sa.delete(PointsBatch).where(PointsBatch.id == bid))
    with db.session() as s:
        _, problems = chain.verify(s)
    assert problems and problems[0].seq == 3


def test_cli_audit_verify(db, url, monkeypatch):
    from kejin.cli import app, _mount

    _mount()
    _publish(db, 2)
    runner = CliRunner()
    ok = runner.invoke(app, ["audit", "verify", "--database-url", url])
    assert ok.exit_code == 0, ok.output
    assert "2 batches" in ok.output
    with db.engine.begin() as conn:
        conn.execute(sa.update(PointsRow).values(tier="Z"))
    bad = runner.invoke(app, ["audit", "verify", "--database-url", url])
    assert bad.exit_code == 1
