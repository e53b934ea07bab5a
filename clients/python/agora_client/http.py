"""The HTTP transport of `Node`: the standard library's `http.client` with one keep-alive
connection per thread (signing thousands of transactions a second needs the connection reused,
which `urllib` does not do), JSON in and out, and the node's `{"code", "message"}` errors turned
into typed exceptions."""
from __future__ import annotations

import http.client
import json
import threading
import urllib.parse
from typing import Any

from .errors import NodeError, NodeUnreachable, NotFound, TransactionRejected, TransactionThrottled

MAX_RESPONSE_BYTES = 64 * 1024 * 1024


class Transport:
    def __init__(self, url: str, timeout: float, headers: dict[str, str] | None = None):
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"node URL must be http(s)://HOST[:PORT], got {url!r}")
        self.url = url.rstrip("/")
        self.scheme, self.host, self.port = parts.scheme, parts.hostname, parts.port
        self.base_path = parts.path.rstrip("/")
        self.timeout = timeout
        self.headers = dict(headers or {})
        self._local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            cls = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
            conn = cls(self.host, self.port, timeout=self.timeout)
            self._local.conn = conn
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def request(self, method: str, path: str, *, body: bytes | None = None, content_type: str | None = None,
                headers: dict[str, str] | None = None, query: dict[str, Any] | None = None) -> tuple[int, dict[str, str], bytes]:
        """Sends one request (retrying once on a keep-alive connection the server had closed)."""
        if query:
            q = {k: ("true" if v is True else "false" if v is False else v) for k, v in query.items() if v is not None}
            if q:
                path += "?" + urllib.parse.urlencode(q)
        h = dict(self.headers)
        if content_type:
            h["Content-Type"] = content_type
        h.update(headers or {})
        for attempt in (0, 1):
            conn = self._connection()
            try:
                conn.request(method, self.base_path + path, body=body, headers=h)
                resp = conn.getresponse()
                data = resp.read(MAX_RESPONSE_BYTES)
                return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError, http.client.CannotSendRequest) as e:
                self.close()
                if attempt == 1:
                    raise NodeUnreachable(self.url, str(e)) from None
            except OSError as e:
                self.close()
                raise NodeUnreachable(self.url, str(e)) from None
        raise AssertionError("unreachable")

    def stream(self, path: str, sink, headers: dict[str, str] | None = None) -> tuple[int, int, bytes]:
        """GET `path` and hand the body to `sink` piece by piece (status 200 only); returns
        (status, bytes received, error body). A body shorter than Content-Length is how the node
        signals a late verification failure: the caller compares the count."""
        h = dict(self.headers)
        h.update(headers or {})
        conn = self._connection()
        try:
            conn.request("GET", self.base_path + path, headers=h)
            resp = conn.getresponse()
            if resp.status != 200:
                return resp.status, 0, resp.read(1 << 16)
            expected, received = resp.getheader("content-length"), 0
            while piece := resp.read(1 << 20):
                sink(piece)
                received += len(piece)
            if expected is not None and int(expected) != received:
                self.close()
                raise NodeError(200, "download_truncated", f"download of {path} stopped at {received} of {expected} bytes")
            return 200, received, b""
        except (http.client.HTTPException, OSError) as e:
            self.close()
            raise NodeUnreachable(self.url, str(e)) from None

    def json(self, method: str, path: str, payload: Any = None, *, query: dict[str, Any] | None = None,
             headers: dict[str, str] | None = None, ok=(200, 201, 202)) -> Any:
        body = None if payload is None else json.dumps(payload).encode()
        status, _, data = self.request(method, path, body=body, content_type="application/json" if body is not None else None,
                                       headers=headers, query=query)
        if status not in ok:
            raise error_from(status, data, path)
        try:
            return json.loads(data) if data else None
        except ValueError:
            raise NodeError(status, "invalid_response", f"{method} {path} answered non-JSON", path=path) from None


def error_from(status: int, data: bytes, path: str, cls=None, retry_after: str | int | None = None) -> NodeError:
    """The exception for an error answer. A transaction refusal with a retry-after (the
    Retry-After header, or a batch item's retryAfterSeconds) is a `TransactionThrottled`."""
    try:
        doc = json.loads(data)
        code, message = str(doc.get("code", "unknown")), str(doc.get("message", ""))
    except (ValueError, AttributeError):
        code, message = "http_error", data[:200].decode("utf-8", "replace")
    if cls is None:
        cls = NotFound if status == 404 else NodeError
    seconds = retry_seconds(retry_after)
    if cls is TransactionRejected and seconds is not None:
        return TransactionThrottled(status, code, message, retry_after=seconds, path=path)
    return cls(status, code, message, path=path)


def retry_seconds(value: str | int | None) -> int | None:
    """Whole seconds of a Retry-After (the node sends delta-seconds), None when absent or not a number."""
    try:
        return None if value is None else max(0, int(value))
    except (TypeError, ValueError):
        return None
