"""Request bodies over the limit (issue 14.8) against a real `agora dev`: a 200 MB body with a
declared Content-Length is answered 413 before the client has sent it (the node never reads
it), and a chunked body is cut off at the limit — the client's send fails long before 200 MB."""
import json
import socket
import threading
import time
import urllib.parse
import urllib.request

TOTAL = 200 * 1024 * 1024
PIECE = 64 * 1024


def metrics_text(node):
    with urllib.request.urlopen(node.url + "/metrics", timeout=10) as r:
        return r.read().decode()


def metric(text, name, **labels):
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
        elif not want and line.startswith(name + " "):
            total += float(line.rsplit(" ", 1)[1])
    return total


def oversized_upload(node, chunked):
    """Sends a 200 MB body while another thread reads the answer. Returns (status line, answer
    body, bytes sent when the answer arrived, bytes sent in all, seconds to the answer)."""
    u = urllib.parse.urlparse(node.url)
    s = socket.create_connection((u.hostname, u.port), timeout=60)
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {TOTAL}"
    s.sendall((f"POST /api/v1/transactions HTTP/1.1\r\nHost: {u.hostname}\r\nContent-Type: application/json\r\n"
               f"{framing}\r\n\r\n").encode())
    sent = [0]
    done = threading.Event()
    piece = (b"%x\r\n" % PIECE + b"a" * PIECE + b"\r\n") if chunked else b"a" * PIECE

    def send():
        try:
            while sent[0] < TOTAL:
                s.sendall(piece)
                sent[0] += PIECE
        except OSError:
            pass
        finally:
            done.set()

    started = time.monotonic()
    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    answer = b""
    sent_at_answer = None
    while b"\r\n\r\n" not in answer:
        data = s.recv(65536)
        if not data:
            break
        answer += data
    sent_at_answer = sent[0]
    elapsed = time.monotonic() - started
    head, _, rest = answer.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v)
    while len(rest) < length:
        data = s.recv(65536)
        if not data:
            break
        rest += data
    done.wait(60)
    s.close()
    return head.split(b"\r\n")[0].decode(), rest, sent_at_answer, sent[0], elapsed


def test_a_declared_200_mb_body_is_refused_before_it_is_sent(node):
    status, body, at_answer, total, elapsed = oversized_upload(node, chunked=False)
    print(f"declared length: 413 after {elapsed:.3f} s with {at_answer / 2**20:.1f} MiB sent; "
          f"the client's send failed after {total / 2**20:.1f} MiB of 200 MiB")
    assert status.split(" ")[1] == "413", status
    error = json.loads(body)
    assert error["code"] == "body_too_large"
    assert str(TOTAL) in error["message"]
    # The node answered from the head and never read the body: the client could not send it.
    assert total < TOTAL
    assert total < 64 * 1024 * 1024, f"{total} bytes went out before the connection closed"


def test_a_chunked_body_is_cut_off_at_the_limit(node):
    status, body, at_answer, total, elapsed = oversized_upload(node, chunked=True)
    print(f"chunked: 413 after {elapsed:.3f} s with {at_answer / 2**20:.1f} MiB sent; "
          f"the client's send failed after {total / 2**20:.1f} MiB of 200 MiB")
    assert status.split(" ")[1] == "413", status
    assert json.loads(body)["code"] == "body_too_large"
    assert total < 64 * 1024 * 1024, f"{total} bytes went out before the connection closed"


def test_the_node_keeps_serving_and_counts_the_refusals(node):
    before = metrics_text(node)
    oversized_upload(node, chunked=False)
    oversized_upload(node, chunked=True)
    after = metrics_text(node)
    assert metric(after, "agora_http_bodies_refused_total", reason="declared_length") \
        > metric(before, "agora_http_bodies_refused_total", reason="declared_length")
    assert metric(after, "agora_http_bodies_refused_total", reason="streamed_past_limit") \
        > metric(before, "agora_http_bodies_refused_total", reason="streamed_past_limit")
    # A body within the limit on the same server is still read and judged (400: not a transaction).
    req = urllib.request.Request(node.url + "/api/v1/transactions", data=b'{"tx": "00"}',
                                 headers={"Content-Type": "application/json"}, method="POST")
    try:
        urllib.request.urlopen(req, timeout=10)
        raise AssertionError("a garbage transaction was accepted")
    except urllib.error.HTTPError as e:
        assert e.code == 400, e.code
    assert node.get("/api/v1/status")["height"] >= 0
