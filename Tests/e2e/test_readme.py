"""README.md, walked: every shell command in README's ```sh blocks runs in order, as written,
against real `agora` processes, the way a newcomer would type them — so README cannot drift from
the program again.

What the walker does to a line, and nothing more:
- placeholders (`<alice's address>`, `<group id>`, …) are filled from what an earlier command
  printed (the PLACEHOLDERS table says which command and which pattern);
- `/tmp/…` paths move under this test's own temporary directory (runs never collide), and HOME is
  a fresh directory (so `~/.agora/keys` starts empty);
- `agora` is the binary under test (its directory leads PATH, as README's `export PATH` makes it);
- a line ending in `&` starts in the background (and must not exit early); `kill %1` signals the
  first one, which must exit 0; the files README presumes a user has (`results.csv`, `model.bin`)
  are made in the working directory first.
Lines that build or test the project itself (`swift build`, `swift run`, `swift test`) are not run:
CI runs them around this test. Every other line must exit 0.

Run: AGORA_BIN=$PWD/.build/debug/agora python3 -m pytest -q Tests/e2e/test_readme.py"""
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request

import pytest

from conftest import BIN, KEY_PASSWORD, ROOT

README = os.path.join(ROOT, "README.md")
NODE = "http://127.0.0.1:8645"

ADDRESS = r"\b(ag1(?:[02-9ac-hj-np-z]{38}|[0-9a-f]{40}))\b"
# placeholder as README writes it -> (the command whose output holds it, pattern of the value)
PLACEHOLDERS = {
    "<alice's address>": (r"agora keys new --name alice", ADDRESS),
    "<bob's address>": (r"agora keys new --name bob", ADDRESS),
    "<group id>": (r"agora tx group create", r"^group ([0-9a-f]{64})$"),
    "<offer id>": (r"agora market offer", r"^offer ([0-9a-f]{64})$"),
    "<purchase id>": (r"agora market buy", r"^purchase ([0-9a-f]{64})$"),
}
SKIPPED = re.compile(r"^(swift (build|run|test)\b)")


def strip_comment(line):
    """The line without a trailing `# comment` (a `#` outside quotes, after whitespace)."""
    quote = None
    for i, c in enumerate(line):
        if quote:
            quote = None if c == quote else quote
        elif c in "'\"":
            quote = c
        elif c == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip()
    return line.rstrip()


def readme_commands():
    text = open(README).read()
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        pending = ""
        for raw in block.splitlines():
            line = strip_comment(raw)
            if line.endswith("\\"):
                pending += line[:-1] + " "
                continue
            line, pending = (pending + line).strip(), ""
            if line:
                commands.append(line)
    return commands


class Walker:
    def __init__(self, tmp):
        self.tmp = tmp
        self.cwd = os.path.join(tmp, "work")
        os.makedirs(self.cwd)
        self.env = dict(os.environ)
        self.env.update({
            "HOME": os.path.join(tmp, "home"),
            "PATH": os.path.dirname(os.path.abspath(BIN)) + os.pathsep + os.environ["PATH"],
            "AGORA_KEY_PASSWORD": KEY_PASSWORD,
        })
        self.env.pop("AGORA_NODE", None)
        os.makedirs(self.env["HOME"])
        self.values = {}
        self.background = []
        self.log = []

    def fill(self, line):
        for name in PLACEHOLDERS:
            if name in line:
                assert name in self.values, f"README uses {name} before any command printed it: {line}"
                line = line.replace(name, self.values[name])
        leftover = re.search(r"<[^<>]*>", line)
        assert not leftover, f"README line has a placeholder the walker cannot fill: {line}"
        return re.sub(r"(?<![\w.])/tmp/", self.tmp + "/", line)

    def capture(self, line, output):
        for name, (source, pattern) in PLACEHOLDERS.items():
            if re.search(source, line):
                m = re.search(pattern, output, re.M)
                assert m, f"`{line}` printed no {name}:\n{output}"
                self.values[name] = m.group(1)

    def run(self, original):
        line = self.fill(original)
        if line == "kill %1":
            return self.kill_first()
        if line.endswith("&") and not line.endswith("&&"):
            return self.start_background(line[:-1].strip())
        if re.search(r"&\s*done$", line):
            return self.start_loop(line)
        r = subprocess.run(["bash", "-c", line], cwd=self.cwd, env=self.env, capture_output=True,
                           text=True, timeout=180, stdin=subprocess.DEVNULL)
        self.log.append(f"$ {original}\n{r.stdout}{r.stderr}")
        assert r.returncode == 0, f"README line `{original}` exited {r.returncode}:\n{r.stdout}\n{r.stderr}"
        self.capture(original, r.stdout + r.stderr)

    def start_background(self, line):
        out = open(os.path.join(self.tmp, f"bg{len(self.background)}.log"), "w")
        proc = subprocess.Popen(["bash", "-c", "exec " + line], cwd=self.cwd, env=self.env, stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.background.append(proc)
        self.wait_for_api(proc)

    def start_loop(self, line):
        """`for …; do agora start … & done`: the loop's children outlive bash; they are found again
        by their data directories (under this test's tmp) when the test ends."""
        subprocess.run(["bash", "-c", line], cwd=self.cwd, env=self.env, timeout=30,
                       stdout=open(os.path.join(self.tmp, "loop.log"), "w"), stderr=subprocess.STDOUT)
        self.wait_for_api(None, path="/api/v1/consensus")

    def wait_for_api(self, proc, path="/api/v1/status", timeout=90):
        deadline = time.time() + timeout
        while time.time() < deadline:
            assert proc is None or proc.poll() is None, f"background command exited {proc.returncode}"
            try:
                with urllib.request.urlopen(NODE + path, timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"nothing answered at {NODE}{path} within {timeout} s")

    def kill_first(self):
        proc = self.background.pop(0)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0, "the node README stops with `kill %1` did not exit 0"

    def stop_all(self):
        for proc in self.background:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=60)
        # the testnet loop's nodes: every process whose command line names our tmp directory
        subprocess.run(["pkill", "-TERM", "-f", re.escape(self.tmp)])
        deadline = time.time() + 30
        while time.time() < deadline and subprocess.run(["pgrep", "-f", re.escape(self.tmp)],
                                                       capture_output=True).returncode == 0:
            time.sleep(0.2)
        subprocess.run(["pkill", "-KILL", "-f", re.escape(self.tmp)])


def port_free(port):
    import socket
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def test_readme_commands_run_as_written():
    if not port_free(8645):
        pytest.skip("127.0.0.1:8645 is taken: README's commands use the default API port")
    tmp = tempfile.mkdtemp(prefix="agora-readme-")
    walker = Walker(tmp)
    with open(os.path.join(walker.cwd, "results.csv"), "w") as f:
        f.write("run,score\n1,0.91\n2,0.87\n")
    with open(os.path.join(walker.cwd, "model.bin"), "wb") as f:
        f.write(os.urandom(300_000))
    ran = 0
    try:
        for line in readme_commands():
            if SKIPPED.match(line):
                continue
            walker.run(line)
            ran += 1
    except AssertionError:
        print("\n".join(walker.log[-5:]))
        raise
    finally:
        walker.stop_all()
    assert ran >= 25, f"only {ran} README commands ran: the walker no longer finds README's blocks"
    shutil.rmtree(tmp, ignore_errors=True)
