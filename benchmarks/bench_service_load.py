"""Load check of the kejin service: N lookups at C concurrent clients against a locally started server.

    python benchmarks/bench_service_load.py [--requests 10000] [--concurrency 50] [--database-url URL]

Starts `kejin serve` on 127.0.0.1 (a fresh SQLite file unless --database-url names e.g. a PostgreSQL
database), logs in as the demo bureau, makes an API token, then sends GET /api/v1/enterprises/{uscc} for
demo firms in turn. Prints the error count and p50/p95/p99 latency; exits 1 on any error.
Only ever talks to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def run(base: str, requests: int, concurrency: int) -> tuple[list[float], int]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as c:
        r = await c.post("/api/v1/auth/login", json={"username": "bureau", "password": "kejin-demo"})
        r.raise_for_status()
        t = await c.post("/api/v1/tokens", json={"name": "load", "scopes": ["enterprises:read"]},
                         headers={"X-CSRF-Token": r.json()["csrf_token"]})
        t.raise_for_status()
        token = t.json()["token"]
        ents = (await c.get("/api/v1/enterprises", params={"page_size": 500}, headers={"Authorization": f"Bearer {token}"})).json()
        usccs = [e["uscc"] for e in ents["data"]]
    lat: list[float] = []
    errors = 0
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(requests):
        queue.put_nowait(i)

    async def worker() -> None:
        nonlocal errors
        async with httpx.AsyncClient(base_url=base, timeout=30, headers={"Authorization": f"Bearer {token}"}) as c:
            while True:
                try:
                    i = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                t0 = time.perf_counter()
                try:
                    r = await c.get(f"/api/v1/enterprises/{usccs[i % len(usccs)]}")
                    if r.status_code != 200:
                        errors += 1
                except httpx.HTTPError:
                    errors += 1
                lat.append(time.perf_counter() - t0)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return lat, errors


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] * 1000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=10000)
    ap.add_argument("--concurrency", type=int, default=50)
    ap.add_argument("--database-url", default=None)
    a = ap.parse_args()
    url = a.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='kejin-load-')}/kejin.db"
    port = free_port()
    env = dict(os.environ, KEJIN_DATABASE_URL=url)
    proc = subprocess.Popen([sys.executable, "-c", "from kejin.cli import main; main()", "serve", "--host", "127.0.0.1",
                             "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None:
                print(proc.stderr.read().decode()[-2000:])
                return 2
            time.sleep(0.2)
        t0 = time.perf_counter()
        lat, errors = asyncio.run(run(base, a.requests, a.concurrency))
        wall = time.perf_counter() - t0
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    backend = url.split(":", 1)[0]
    print(f"backend={backend} requests={len(lat)} concurrency={a.concurrency} errors={errors} "
          f"throughput={len(lat) / wall:.0f}/s p50={pct(lat, .5):.1f}ms p95={pct(lat, .95):.1f}ms p99={pct(lat, .99):.1f}ms")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
