"""Artifact transfers use memory independent of the artifact's size (issue 6): `agora bench
artifacts` moves a generated artifact up in chunks and back down through the real HTTP server
and the CLI's client, in its own process, and prints its peak RSS. Run at two sizes 8x apart,
the peaks must be about the same — measured alone, not inside a test process where other
tests move the RSS."""
import re
import subprocess

from conftest import BIN


def peak(size):
    r = subprocess.run([BIN, "bench", "artifacts", "--size", size], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    m = re.search(r"peak RSS: (\d+) MiB \((\d+) MiB before the run\)", r.stdout)
    assert m, r.stdout
    return int(m.group(1)), int(m.group(2))


def test_artifact_transfer_memory_does_not_grow_with_size():
    small, small_base = peak("32MiB")
    large, large_base = peak("256MiB")
    # 224 MiB more data moved; buffers are fixed-size, so the peak may differ only by noise.
    assert large - large_base < 128, f"256 MiB run grew by {large - large_base} MiB"
    assert large - small < 48, f"peak {small} MiB at 32 MiB, {large} MiB at 256 MiB"
