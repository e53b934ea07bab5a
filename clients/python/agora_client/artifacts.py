"""Artifacts (docs/artifacts.md): chunked upload and verified download.

Uploads declare {sha256, size}, send the chunks in order at the size the node names and
complete; they are signed with the `Agora-Ed25519` request scheme when a key is given (the
message binds action, chain, hash, size and time). Downloads stream to memory or a file while
hashing, and raise `ArtifactMismatch` when the bytes are not the ones asked for — whether the
node or anything between sent them — so a caller never acts on unverified content."""
from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from typing import Any

from .errors import ArtifactMismatch, InvalidInput, NodeError
from .http import error_from
from .payloads import MAX_ARTIFACT_BYTES, hex_bytes

SCHEME = "Agora-Ed25519"
PIECE = 1 << 20


@dataclass(frozen=True)
class ArtifactRef:
    """What claims, tasks and offers reference: the artifact's SHA-256 (hex) and size."""

    sha256: str
    size: int

    def as_dict(self) -> dict:
        return {"sha256": self.sha256, "size": self.size}


def request_header(key, action: str, chain_id: str, sha256: str, size: int, timestamp_ms: int | None = None) -> str:
    """`Authorization` value of a signed artifact request (`upload` or `read`; reads sign size 0)."""
    if action not in ("upload", "read"):
        raise InvalidInput("action", f"{action!r} is not upload or read")
    ts = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
    message = f"agora-artifact-request/v1\n{action}\n{chain_id}\n{sha256}\n{size}\n{ts}".encode()
    return f"{SCHEME} key={key.public_key.hex()},ts={ts},sig={key.sign(message).hex()}"


def _source(data: bytes | str | os.PathLike) -> tuple[Any, int, str]:
    """(reader of (offset, n), size, sha256) of bytes in memory or a file, hashed by streaming."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data)
        return (lambda off, n: raw[off:off + n]), len(raw), hashlib.sha256(raw).hexdigest()
    path = os.fspath(data)
    size = os.path.getsize(path)
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while piece := f.read(PIECE):
            h.update(piece)

    def read(off: int, n: int) -> bytes:
        with open(path, "rb") as f:
            f.seek(off)
            return f.read(n)
    return read, size, h.hexdigest()


class ArtifactMethods:
    def upload_artifact(self, data: bytes | str | os.PathLike, key=None) -> ArtifactRef:
        """Stores bytes (or a file) on the node; returns the reference to put in a claim or task.
        `key` signs the request (any account may upload; admin tokens work too)."""
        read, size, sha = _source(data)
        if not 1 <= size <= MAX_ARTIFACT_BYTES:
            raise InvalidInput("data", f"an artifact is 1 B … 1 TiB, got {size} bytes")
        headers = {"Authorization": request_header(key, "upload", self.chain_id, sha, size)} if key is not None else None
        start = self.http.json("POST", "/api/v1/artifacts/uploads", {"sha256": sha, "size": size}, headers=headers)
        if start.get("alreadyStored"):
            return ArtifactRef(sha, size)
        upload, chunk, count = start["uploadID"], start["chunkBytes"], start["chunkCount"]
        for index in range(start.get("nextIndex") or 0, count):
            body = read(index * chunk, min(chunk, size - index * chunk))
            status, _, answer = self.http.request("PUT", f"/api/v1/artifacts/uploads/{upload}/chunks/{index}", body=body,
                                                  content_type="application/octet-stream")
            if status not in (200, 201, 202):
                raise error_from(status, answer, f"/api/v1/artifacts/uploads/{upload}/chunks/{index}")
        done = self.http.json("POST", f"/api/v1/artifacts/uploads/{upload}/complete")
        if done["sha256"] != sha:
            raise NodeError(200, "artifact_hash_mismatch", f"node stored {done['sha256']}, expected {sha}")
        return ArtifactRef(sha, size)

    def download_artifact(self, sha256: Any, key=None, path: str | os.PathLike | None = None) -> bytes | ArtifactRef:
        """Fetches an artifact and checks its SHA-256. Returns the bytes, or writes them to `path`
        (removed again on a mismatch) and returns the reference. `key` signs the read (needed for
        a group's artifacts: the key of a member)."""
        sha = hex_bytes(sha256, "sha256").hex()
        headers = {"Authorization": request_header(key, "read", self.chain_id, sha, 0)} if key is not None else None
        h = hashlib.sha256()
        out = open(f"{os.fspath(path)}.part-{os.getpid()}", "wb") if path is not None else None
        pieces: list[bytes] = []

        def sink(piece: bytes) -> None:
            h.update(piece)
            if out is not None:
                out.write(piece)
            else:
                pieces.append(piece)
        try:
            status, size, error = self.http.stream(f"/api/v1/artifacts/{sha}", sink, headers)
            if status != 200:
                raise error_from(status, error, f"/api/v1/artifacts/{sha}")
            if h.hexdigest() != sha:
                raise ArtifactMismatch(sha, h.hexdigest(), size)
        except BaseException:
            if out is not None:
                out.close()
                os.unlink(out.name)
            raise
        if out is None:
            return b"".join(pieces)
        out.close()
        os.replace(out.name, path)
        return ArtifactRef(sha, size)

    def has_artifact(self, sha256: Any) -> int | None:
        """The artifact's size if the node holds it (HEAD), else None."""
        sha = hex_bytes(sha256, "sha256").hex()
        status, headers, data = self.http.request("HEAD", f"/api/v1/artifacts/{sha}")
        if status == 404:
            return None
        if status != 200:
            raise error_from(status, data, f"/api/v1/artifacts/{sha}")
        return int(headers.get("content-length", "0"))
