"""`kejin serve` (the service: web UI and API from one process) and `kejin audit verify` (the hash chain)."""

from __future__ import annotations

import typer

from kejin.cli._common import console, err_console


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="监听地址 / address to listen on"),
    port: int = typer.Option(8000, "--port", help="端口 / port"),
    database_url: str = typer.Option(None, "--database-url", envvar="KEJIN_DATABASE_URL",
                                     help="数据库 / database URL (default sqlite:///kejin.db)"),
    demo: bool = typer.Option(True, "--demo/--no-demo", help="首次启动载入演示数据 / load demo data on first start"),
) -> None:
    """启动服务（网页与 API）/ Start the service: web UI and API on one port."""
    import uvicorn

    from kejin.api import demo as demo_data
    from kejin.store.db import Database
    from kejin.store.repo import fail_interrupted_imports
    from kejin.web.app import create_app

    db = Database(database_url)
    db.migrate()
    if n := fail_interrupted_imports(db):  # a previous process stopped mid-import: its jobs wrote nothing
        err_console.print(f"{n} 个未完成的导入任务已标记为失败 / {n} unfinished import job(s) marked failed")
    if demo and demo_data.seed(db):
        err_console.print(f"已载入演示数据 / demo data loaded — users bureau, bank1, bank2, fund1, insurer1, firm1…firm8; "
                          f"password / 密码: {demo_data.DEMO_PASSWORD}")
    app = create_app(db)
    err_console.print(f"kejin 服务 / service: http://{host}:{port}/  (API docs: http://{host}:{port}/docs)")
    uvicorn.run(app, host=host, port=port, log_level="warning")


def verify(
    database_url: str = typer.Option(None, "--database-url", envvar="KEJIN_DATABASE_URL",
                                     help="数据库 / database URL (default sqlite:///kejin.db)"),
) -> None:
    """校验已发布积分批次的哈希链 / Verify the hash chain of published points batches (exit 1 if broken)."""
    import sqlalchemy as sa

    from kejin.store import chain
    from kejin.store.db import Database
    from kejin.store.models import PointsBatch

    db = Database(database_url)
    with db.session() as s:
        n, problems = chain.verify(s)
        head = s.scalar(sa.select(PointsBatch.hash).order_by(PointsBatch.seq.desc()).limit(1))
    db.dispose()
    if problems:
        for p in problems:
            err_console.print(f"[red]批次 batch {p.seq}[/red]: {p.zh} / {p.en}")
        err_console.print(f"[red]哈希链已被篡改 / the hash chain is BROKEN[/red] ({len(problems)} problem(s), {n} batches)")
        raise typer.Exit(1)
    console.print(f"哈希链完好 / hash chain intact: {n} batches; head {head or '—'}")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    audit = typer.Typer(help="审计 / audit: verify published history", no_args_is_help=True)
    audit.command("verify")(verify)
    app.add_typer(audit, name="audit")
