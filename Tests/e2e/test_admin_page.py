"""The admin page in headless Chromium shows what the API returns."""
import shutil
import time

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from conftest import Node


def browser():
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    driver_path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    opts = Options()
    opts.binary_location = chromium
    for a in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"]:
        opts.add_argument(a)
    return webdriver.Chrome(service=Service(driver_path), options=opts)


@pytest.fixture(scope="module")
def quiet_node():
    # No empty blocks: the chain stands still between transactions, so page and API can be compared.
    n = Node(env={"AGORA_BLOCK_CREATE_EMPTY": "false"}, name="admin").start()
    keys = n.dir + "/keys"
    for i, amount in enumerate([5, 6, 7]):
        to = n.cli("keys", "new", "--name", f"p{i}", "--keys", keys).stdout.split()[0]
        n.cli("tx", "transfer", "--node", n.url, "--key", n.data + "/keys/dev.json", "--to", to, "--amount", str(amount), "--wait")
    yield n
    n.stop()


def test_page_refuses_a_bad_token_and_shows_api_state_with_a_good_one(quiet_node):
    n = quiet_node
    token = n.token("page")
    d = browser()
    try:
        d.get(n.url + "/admin")
        d.find_element(By.ID, "token").send_keys("agora_" + "0" * 64)
        d.find_element(By.ID, "login-button").click()
        WebDriverWait(d, 10).until(lambda d: "invalid_admin_token" in d.find_element(By.ID, "login-error").text)
        assert not d.find_element(By.ID, "dashboard").is_displayed()

        field = d.find_element(By.ID, "token")
        field.clear()
        field.send_keys(token)
        d.find_element(By.ID, "login-button").click()
        WebDriverWait(d, 10).until(EC.visibility_of_element_located((By.ID, "dashboard")))
        WebDriverWait(d, 10).until(lambda d: d.find_element(By.ID, "height").text != "")
        WebDriverWait(d, 10).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#blocks tbody tr")) > 0)
        time.sleep(0.5)

        s = n.get("/api/v1/status")
        assert d.find_element(By.ID, "chain-id").text == s["chainID"]
        assert d.find_element(By.ID, "height").text == str(s["height"])
        assert d.find_element(By.ID, "head-hash").text == s["headHash"]
        assert d.find_element(By.ID, "state-root").text == s["stateRoot"]
        assert d.find_element(By.ID, "validator").text == s["validator"]
        assert d.find_element(By.ID, "supply").text == str(s["params"]["totalSupply"])
        assert d.find_element(By.ID, "mempool-count").text == str(s["mempool"]["count"])

        blocks = n.get("/api/v1/blocks?limit=10")["items"]
        rows = d.find_elements(By.CSS_SELECTOR, "#blocks tbody tr")
        assert [r.get_attribute("data-height") for r in rows] == [str(b["height"]) for b in blocks]
        txs = n.get("/api/v1/transactions?limit=20")["items"]
        tx_rows = d.find_elements(By.CSS_SELECTOR, "#transactions tbody tr")
        assert [r.get_attribute("data-id") for r in tx_rows] == [t["id"] for t in txs]
        assert len(txs) == 3

        # Live events: a new transfer shows up in the event list without a reload.
        to = n.cli("keys", "new", "--name", "live", "--keys", n.dir + "/keys").stdout.split()[0]
        n.cli("tx", "transfer", "--node", n.url, "--key", n.data + "/keys/dev.json", "--to", to, "--amount", "99", "--wait")
        WebDriverWait(d, 10).until(lambda d: any("bank.transfer" in li.text and "99" in li.text
                                                 for li in d.find_elements(By.CSS_SELECTOR, "#events li")))
        assert d.find_element(By.ID, "conn").text == "live"
        d.save_screenshot(n.dir + "/admin.png")
    finally:
        d.quit()
