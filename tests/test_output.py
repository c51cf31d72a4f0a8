"""Result files: all-or-nothing publishing and letting written blocks go from the page cache."""

from __future__ import annotations

import os
import sys

import pytest

from kejin.output import drop_behind, publish


@pytest.mark.skipif(not hasattr(os, "posix_fadvise"), reason="posix_fadvise is POSIX-only")
def test_drop_behind_advises_everything_written_so_far(tmp_path, monkeypatch):
    calls = []
    real = os.posix_fadvise

    def advise(fd: int, offset: int, length: int, advice: int) -> None:
        calls.append((offset, length, advice))
        real(fd, offset, length, advice)

    monkeypatch.setattr(os, "posix_fadvise", advise)
    out = tmp_path / "result.csv"
    blocks = [b"a,b\n", b"1,2\n" * 50_000, b"3,4\n" * 70_000]
    with publish(out) as handle:
        for block in blocks:
            handle.write(block)
            drop_behind(handle)  # flushes first: the advice covers bytes still in Python's buffer
    assert out.read_bytes() == b"".join(blocks)
    written = [len(blocks[0]), len(blocks[0]) + len(blocks[1]), sum(map(len, blocks))]
    assert calls == [(0, n, os.POSIX_FADV_DONTNEED) for n in written]


@pytest.mark.skipif(not os.path.isdir("/dev/shm"), reason="needs a tmpfs at /dev/shm")
def test_drop_behind_keeps_every_byte_on_a_memory_file_system():
    """On tmpfs the page cache is the file itself: the advice must not (and does not) drop it."""
    import tempfile
    from pathlib import Path

    data = os.urandom(3 << 20)
    with tempfile.TemporaryDirectory(dir="/dev/shm") as shm:
        out = Path(shm) / "result.bin"
        with publish(out) as handle:
            for start in range(0, len(data), 1 << 18):
                handle.write(data[start:start + (1 << 18)])
                drop_behind(handle)
        assert out.read_bytes() == data


def test_drop_behind_is_harmless_where_the_advice_cannot_be_taken(tmp_path, monkeypatch):
    read_end, write_end = os.pipe()  # a pipe has no page cache: the advice fails (ESPIPE) and is ignored
    with os.fdopen(write_end, "wb") as pipe, os.fdopen(read_end, "rb") as reader:
        pipe.write(b"x")
        drop_behind(pipe)
        pipe.close()
        assert reader.read() == b"x"
    monkeypatch.delattr(os, "posix_fadvise", raising=False)  # e.g. Windows, macOS
    out = tmp_path / "plain.csv"
    with publish(out) as handle:
        handle.write(b"a\n")
        drop_behind(handle)
    assert out.read_bytes() == b"a\n"


def test_publish_leaves_nothing_when_the_writer_fails(tmp_path):
    out = tmp_path / "result.csv"
    with pytest.raises(RuntimeError), publish(out) as handle:
        handle.write(b"half")
        raise RuntimeError("failed mid-way")
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_publish_to_stdout_copies_the_whole_file(capfdbinary):
    with publish(None) as handle:
        handle.write(b"a,b\n1,2\n")
    sys.stdout.flush()
    assert capfdbinary.readouterr().out == b"a,b\n1,2\n"
