"""Storage integrity with real node processes (issue 14 items 2, 3 and 6).

A damaged `agora.sqlite` (truncated, a 4 KiB page flipped, 16 bytes flipped) is refused at
start with exit code 2 and a message naming the file; a clean stop (SIGTERM) leaves every
committed block in `agora.sqlite` itself, so deleting the `-wal` file afterwards loses nothing;
a database older than the validator's own sign state is refused with a message saying blocks
were lost; and on a full filesystem (a small tmpfs) artifact uploads answer 507
`insufficient_storage`, the node reports not ready, and it resumes by itself once space returns.

Each test fails on a build without its fix: the damaged files started (and served or crashed
later), the WAL kept committed blocks after SIGTERM, the older database started and stalled
behind the signing guard, uploads answered 500 and the node never resumed without a restart."""
import errno
import hashlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import pytest

from conftest import BIN, Node

CHAIN_ID = b"agora-dev"


def start(node, interval_ms=50, env=None):
    """Starts `agora dev` on node.data (a faster block interval than conftest's, for a few
    hundred blocks quickly)."""
    e = dict(node.env)
    e.update(env or {})
    node.proc = subprocess.Popen(
        [BIN, "dev", "--data-dir", node.data, "--http", "127.0.0.1:0", "--block-interval-ms", str(interval_ms)],
        stdout=open(node.out_path, "ab"), stderr=open(node.log_path, "ab"), env=e)
    deadline = time.time() + 60
    while time.time() < deadline:
        with open(node.out_path) as f:
            urls = [line.split("API listening on ")[1].strip() for line in f if "API listening on " in line]
        if urls:
            node.url = urls[-1]
            return node
        if node.proc.poll() is not None:
            raise RuntimeError("node exited: " + node.log[-3000:])
        time.sleep(0.05)
    raise RuntimeError("node did not start")


def refused(node, timeout=60):
    """Starts the node expecting a refusal: returns (exit code, the `error:` line). A node that
    starts serving instead is stopped and reported as (None, "started: …")."""
    out, err = os.path.join(node.dir, "refused.out"), os.path.join(node.dir, "refused.err")
    p = subprocess.Popen([BIN, "dev", "--data-dir", node.data, "--http", "127.0.0.1:0"],
                         stdout=open(out, "wb"), stderr=open(err, "wb"), env=node.env)
    deadline = time.time() + timeout
    while p.poll() is None and time.time() < deadline:
        if "API listening on" in open(out).read():
            p.kill()
            p.wait()
            return None, "started: the node served its API instead of refusing the data directory"
        time.sleep(0.1)
    if p.poll() is None:
        p.kill()
        p.wait()
        return None, "neither refused nor served within the timeout"
    stderr = open(err).read()
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    return p.returncode, (errors[-1] if errors else stderr[-2000:])


def status(node):
    return node.get("/api/v1/status")


def ready(node):
    try:
        with urllib.request.urlopen(node.url + "/health/ready", timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def wait_for(what, predicate, timeout=60, interval=0.2):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")


def run_to(node, height):
    wait_for(f"height {height}", lambda: status(node)["height"] >= height, timeout=120)


def log_events(node, message):
    out = []
    for line in node.log.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if event.get("message") == message:
            out.append(event)
    return out


def stopped_height(node):
    events = log_events(node, "node stopped")
    assert events, node.log[-3000:]
    return int(events[-1]["height"])


def db_path(node):
    return os.path.join(node.data, "agora.sqlite")


def chain_id_offsets(path):
    """Offsets of the chain ID in the file: each block header carries it (a dev chain with no
    transactions holds it nowhere else but the meta row)."""
    data = open(path, "rb").read()
    out, at = [], data.find(CHAIN_ID)
    while at >= 0:
        out.append(at)
        at = data.find(CHAIN_ID, at + 1)
    return out


def flip(path, offset, length):
    with open(path, "r+b") as f:
        f.seek(offset)
        data = f.read(length)
        f.seek(offset)
        f.write(bytes(b ^ 0xFF for b in data))


@pytest.fixture(scope="module")
def chain_template():
    """A dev chain of a few hundred blocks, stopped cleanly; each test damages its own copy."""
    node = Node(name="storage-template")
    start(node)
    run_to(node, 300)
    assert node.stop() == 0
    yield node
    shutil.rmtree(node.dir, ignore_errors=True)


@pytest.fixture
def stopped_chain(chain_template):
    node = Node(name="storage")
    shutil.copytree(chain_template.data, node.data)
    shutil.copyfile(chain_template.log_path, node.log_path)  # its "node stopped" line
    yield node
    node.stop(signal.SIGKILL)
    shutil.rmtree(node.dir, ignore_errors=True)


def assert_refused_naming_file(node):
    code, message = refused(node)
    assert code == 2, message
    assert db_path(node) in message, message
    assert "start-up check" in message or "cannot open database" in message, message
    return message


def test_truncated_database_is_refused_naming_the_file(stopped_chain):
    path = db_path(stopped_chain)
    size = os.path.getsize(path)
    assert size > 16 * 4096, size
    os.truncate(path, size // 2 // 4096 * 4096)
    assert_refused_naming_file(stopped_chain)


def test_a_flipped_4k_page_is_refused_naming_the_file(stopped_chain):
    path = db_path(stopped_chain)
    offsets = chain_id_offsets(path)
    assert len(offsets) > 100, len(offsets)
    middle = offsets[len(offsets) // 2]
    flip(path, middle // 4096 * 4096, 4096)  # the whole page holding a header in the middle
    assert_refused_naming_file(stopped_chain)


def test_16_flipped_bytes_in_a_header_are_refused(stopped_chain):
    path = db_path(stopped_chain)
    offsets = chain_id_offsets(path)
    middle = offsets[len(offsets) // 2]
    flip(path, middle + len(CHAIN_ID), 16)  # the header's height and previous hash
    message = assert_refused_naming_file(stopped_chain)
    assert "block" in message, message


def test_clean_stop_leaves_no_block_only_in_the_wal(stopped_chain):
    node = stopped_chain
    height = stopped_height(node)
    wal = db_path(node) + "-wal"
    assert not os.path.exists(wal) or os.path.getsize(wal) == 0, f"{os.path.getsize(wal)} bytes left in the WAL"
    for suffix in ("-wal", "-shm"):
        if os.path.exists(db_path(node) + suffix):
            os.remove(db_path(node) + suffix)
    start(node)
    opened = log_events(node, "chain opened")
    assert int(opened[-1]["height"]) == height, (opened[-1], height)
    run_to(node, height + 5)
    assert ready(node)[0] == 200


def test_a_database_behind_the_sign_state_is_refused_saying_blocks_were_lost(stopped_chain):
    node = stopped_chain
    backup = os.path.join(node.dir, "agora.sqlite.backup")
    shutil.copyfile(db_path(node), backup)  # after a clean stop the main file is the whole database
    old = stopped_height(node)
    start(node)
    run_to(node, old + 50)
    assert node.stop() == 0
    shutil.copyfile(backup, db_path(node))
    for suffix in ("-wal", "-shm"):
        if os.path.exists(db_path(node) + suffix):
            os.remove(db_path(node) + suffix)
    code, message = refused(node)
    assert code == 2, message
    assert "were lost" in message and db_path(node) in message and "recoverFromPeers" in message, message
    assert f"ends at height {old}" in message, message


@pytest.fixture
def small_filesystem():
    mount = tempfile.mkdtemp(prefix="agora-e2e-tmpfs-")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", mount], capture_output=True, text=True)
    if r.returncode != 0:
        os.rmdir(mount)
        pytest.skip(f"cannot mount a tmpfs here (needs root and mount permission): {r.stderr.strip()}")
    yield mount
    subprocess.run(["umount", "-l", mount], capture_output=True)
    shutil.rmtree(mount, ignore_errors=True)


def fill(directory):
    """Writes a file until the filesystem is full; returns its path."""
    path = os.path.join(directory, "filler")
    chunk = b"\0" * (256 * 1024)
    with open(path, "wb", buffering=0) as f:
        while True:
            try:
                f.write(chunk)
            except OSError as e:
                assert e.errno == errno.ENOSPC, e
                break
    return path


def upload(node, token, content):
    """Begins an upload and sends its one chunk: (status, error code or None)."""
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    body = json.dumps({"sha256": hashlib.sha256(content).hexdigest(), "size": len(content)}).encode()
    try:
        req = urllib.request.Request(node.url + "/api/v1/artifacts/uploads", data=body, headers=auth, method="POST")
        with urllib.request.urlopen(req, timeout=30) as r:
            begun = json.loads(r.read())
        if begun.get("alreadyStored"):
            return 200, None
        req = urllib.request.Request(f"{node.url}/api/v1/artifacts/uploads/{begun['uploadID']}/chunks/0", data=content,
                                     headers={"Authorization": f"Bearer {token}"}, method="PUT")
        urllib.request.urlopen(req, timeout=30).read()
        req = urllib.request.Request(f"{node.url}/api/v1/artifacts/uploads/{begun['uploadID']}/complete",
                                     data=b"", headers={"Authorization": f"Bearer {token}"}, method="POST")
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, None
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read()).get("code")


def test_full_disk_answers_507_and_the_node_resumes_without_a_restart(small_filesystem):
    node = Node(name="full")
    node.data = os.path.join(small_filesystem, "data")
    try:
        start(node, interval_ms=100)
        token = node.token("e2e")
        run_to(node, 5)
        assert ready(node)[0] == 200
        filler = fill(small_filesystem)
        content = os.urandom(512 * 1024)
        code, err = upload(node, token, content)
        assert (code, err) == (507, "insufficient_storage"), (code, err)
        # Commits, the write probe or the sign state fail: not ready, and blocks stop.
        wait_for("not ready", lambda: ready(node)[0] == 503, timeout=60)
        stuck = status(node)["height"]
        os.remove(filler)
        # Same process: it resumes by itself.
        run_to(node, stuck + 5)
        wait_for("ready again", lambda: ready(node)[0] == 200, timeout=60)
        assert node.proc.poll() is None
        assert upload(node, token, content) == (201, None)
    finally:
        node.stop(signal.SIGKILL)
        shutil.rmtree(node.dir, ignore_errors=True)
