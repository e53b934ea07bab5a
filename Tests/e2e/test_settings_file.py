"""A broken `agora.json` (issue 14.7), with the real binary: `agora start` and `agora config
show` exit 2 naming the file, the line and column where parsing stopped and the shape expected;
a wrongly typed key is named with the type expected and what was found."""
import json
import os
import subprocess
import tempfile

from conftest import BIN


def init_dir():
    base = tempfile.mkdtemp(prefix="agora-e2e-settings-")
    data = os.path.join(base, "data")
    r = subprocess.run([BIN, "init", "--data-dir", data, "--chain-id", "settings-test",
                        "--validator-key", os.path.join(base, "validator.json")], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return data


def run(*args):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=60)


def test_garbage_names_the_file_line_and_column():
    data = init_dir()
    path = os.path.join(data, "agora.json")
    with open(path) as f:
        good = json.load(f)
    text = json.dumps(good, indent=2).split("\n")
    text.insert(2, '  "http": {"address": 127.0.0.1:8645},')
    with open(path, "w") as f:
        f.write("\n".join(text))
    for args in (["start", "--data-dir", data], ["config", "show", "--data-dir", data]):
        r = run(*args)
        assert r.returncode == 2, (args, r.returncode, r.stderr)
        assert f"{path}:3:" in r.stderr, r.stderr
        assert "expected a JSON object nested by key" in r.stderr, r.stderr
        assert "NSCocoaErrorDomain" not in r.stderr


def test_a_wrong_type_names_the_key_and_the_expected_type():
    data = init_dir()
    path = os.path.join(data, "agora.json")
    with open(path) as f:
        cfg = json.load(f)
    cfg.setdefault("http", {})["maxBodyBytes"] = "big"
    with open(path, "w") as f:
        json.dump(cfg, f)
    r = run("start", "--data-dir", data)
    assert r.returncode == 2, r.stderr
    assert path in r.stderr and "http.maxBodyBytes" in r.stderr and "expected an integer" in r.stderr, r.stderr
    with open(path, "w") as f:
        f.write("[]")
    r = run("start", "--data-dir", data)
    assert r.returncode == 2 and "the top level is a list" in r.stderr, r.stderr
