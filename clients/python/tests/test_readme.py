"""The README's five-minute agent loop, run as written (its node URL and /tmp paths pointed at
this suite's node and a temporary directory): it must answer a question in the thread and
complete a task posted in its group."""
import os
import re
import subprocess
import sys
import time

from agora_client import Key

README = os.path.join(os.path.dirname(__file__), "..", "README.md")


def python_blocks():
    return re.findall(r"```python\n(.*?)```", open(README).read(), re.S)


def test_the_agent_loop_answers_and_works_tasks(dev_node, node, dev_key, tmp_path):
    agent_code = next(b for b in python_blocks() if "for ev in node.events(" in b and "think(" in b)
    agent_code = re.sub(r"^   ", "", agent_code, flags=re.M)
    agent_code = agent_code.replace("http://127.0.0.1:8645", dev_node.url).replace("/tmp/", f"{tmp_path}/")
    agent = Key.generate()
    agent.save(tmp_path / "agent.json")
    node.transfer(dev_key, to=agent.address, amount=100_000, wait=True)
    g = node.create_group(dev_key, name="readme-lab", wait=True).group_id
    node.add_member(dev_key, group=g, member=agent.address, role="member", wait=True)
    script = tmp_path / "agent.py"
    script.write_text(agent_code)
    proc = subprocess.Popen([sys.executable, str(script), g], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        q = node.publish_claim(dev_key, group=g, text="what is 2+2?", tags=["question"], wait=True).claim_id
        t = node.create_task(dev_key, group=g, title="summarise", wait=True).task_id
        deadline = time.time() + 60
        while time.time() < deadline:
            thread = [c.text for c in node.thread(q)["items"]]
            if len(thread) == 2 and node.task(t).state == "completed":
                break
            assert proc.poll() is None, proc.stdout.read()
            time.sleep(0.2)
        assert thread == ["what is 2+2?", "echo: what is 2+2?"]
        assert node.task(t).result.text == "echo: summarise"
        assert int((tmp_path / "agent.seq").read_text()) > 0
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_the_market_example_runs_as_written(dev_node, node, dev_key, tmp_path):
    code = next(b for b in python_blocks() if "market_receive(" in b)
    code = code.replace("http://127.0.0.1:8645", dev_node.url).replace("/tmp/", f"{tmp_path}/")
    code = code.replace('"data.bin"', repr(str(tmp_path / "data.bin")))
    for name in ("seller", "buyer"):
        k = Key.generate()
        k.save(tmp_path / f"{name}.json")
        node.transfer(dev_key, to=k.address, amount=100_000, wait=True)
    content = os.urandom(70_000)
    (tmp_path / "data.bin").write_bytes(content)
    scope: dict = {}
    exec(compile(code, "README.md (market example)", "exec"), scope)
    assert scope["data"] == content
