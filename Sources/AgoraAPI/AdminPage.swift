/// The admin page at `/admin`: one self-contained document (no external assets) that asks for an
/// admin token, then shows status, recent blocks, the mempool, recent transactions, governance
/// (open proposals with their tallies so far and end heights, the parameters, the consensus
/// parameters governance set, planned upgrades) and live events from the WebSocket stream.
/// Element IDs are stable: the browser tests read them.
enum AdminPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Agora node</title>
<style>
  [hidden] { display: none !important; }
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; background: #f6f7f9; color: #1d232b; }
  header { background: #1d232b; color: #fff; padding: 10px 20px; display: flex; gap: 16px; align-items: baseline; }
  header h1 { font-size: 18px; margin: 0; }
  main { padding: 16px 20px; display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 16px; }
  section { background: #fff; border: 1px solid #dde1e6; border-radius: 6px; padding: 12px 14px; overflow: auto; }
  h2 { font-size: 15px; margin: 0 0 8px; }
  table { border-collapse: collapse; width: 100%; font-size: 13px; }
  td, th { text-align: left; padding: 3px 6px; border-bottom: 1px solid #eef0f3; white-space: nowrap; }
  code, .mono { font-family: ui-monospace, monospace; font-size: 12px; }
  #login { max-width: 420px; margin: 60px auto; background: #fff; padding: 20px; border: 1px solid #dde1e6; border-radius: 6px; }
  #login input { width: 100%; padding: 6px; font-family: ui-monospace, monospace; box-sizing: border-box; }
  .err { color: #b00020; } .ok { color: #17733a; }
  #events li { font-family: ui-monospace, monospace; font-size: 12px; }
</style>
</head>
<body>
<header><h1>Agora node</h1><span id="chain-id"></span><span id="conn" class="mono"></span></header>
<div id="login">
  <h2>Admin token</h2>
  <p>Create one with <code>agora admin token create --data-dir DIR --name NAME</code>.</p>
  <form id="login-form"><input id="token" type="password" autocomplete="off" aria-label="admin token (starts with agora_)">
  <p><button id="login-button" type="submit">Open</button> <span id="login-error" class="err"></span></p></form>
</div>
<main id="dashboard" hidden>
  <section><h2>Status</h2>
    <table>
      <tr><th>height</th><td id="height"></td></tr>
      <tr><th>head</th><td class="mono" id="head-hash"></td></tr>
      <tr><th>state root</th><td class="mono" id="state-root"></td></tr>
      <tr><th>validator</th><td class="mono" id="validator"></td></tr>
      <tr><th>mempool</th><td><span id="mempool-count"></span> transactions, <span id="mempool-bytes"></span> bytes</td></tr>
      <tr><th>total supply</th><td id="supply"></td></tr>
      <tr><th>health</th><td id="health"></td></tr>
      <tr><th>version</th><td id="version"></td></tr>
    </table>
  </section>
  <section><h2>Validators</h2><table id="validators"><tr><th>address</th><th>role</th></tr></table>
    <h2 style="margin-top:12px">Peers</h2><table id="peers"><thead><tr><th>identity</th><th>address</th><th>height</th><th>score</th><th>dir</th></tr></thead><tbody></tbody></table></section>
  <section><h2>Recent blocks</h2><table id="blocks"><thead><tr><th>height</th><th>hash</th><th>txs</th><th>time</th></tr></thead><tbody></tbody></table></section>
  <section><h2>Mempool</h2><table id="mempool"><thead><tr><th>id</th><th>sender</th><th>nonce</th><th>fee</th></tr></thead><tbody></tbody></table></section>
  <section><h2>Recent transactions</h2><table id="transactions"><thead><tr><th>id</th><th>height</th><th>kind</th><th>ok</th></tr></thead><tbody></tbody></table></section>
  <section id="gov"><h2>Governance: open proposals</h2>
    <p id="gov-disabled" hidden>Governance is not enabled on this chain (its genesis has no governance section).</p>
    <table id="gov-proposals"><thead><tr><th>id</th><th>title</th><th>kind</th><th>status</th><th>ends at</th><th>yes</th><th>no</th><th>abstain</th><th>veto</th><th>bonded</th></tr></thead><tbody></tbody></table>
    <p id="gov-none" hidden>No open proposals.</p>
    <h2 style="margin-top:12px">Parameters</h2><table id="gov-params"><tbody></tbody></table>
    <h2 style="margin-top:12px">Planned upgrades</h2><table id="gov-upgrades"><thead><tr><th>name</th><th>height</th><th>this binary</th></tr></thead><tbody></tbody></table>
  </section>
  <section><h2>Live events</h2><ul id="events"></ul></section>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
let token = sessionStorage.getItem("agora-admin-token") || "";
const short = (h) => h ? h.slice(0, 12) + "…" : "";
function cell(row, text, cls) { const td = row.insertCell(); td.textContent = text; if (cls) td.className = cls; return td; }

async function api(path, auth) {
  const headers = auth ? { "Authorization": "Bearer " + token } : {};
  const r = await fetch(path, { headers });
  const body = await r.json();
  if (!r.ok) throw new Error(body.code + ": " + body.message);
  return body;
}

async function refresh() {
  const s = await api("/api/v1/status");
  $("chain-id").textContent = s.chainID;
  $("height").textContent = s.height;
  $("head-hash").textContent = s.headHash;
  $("state-root").textContent = s.stateRoot;
  $("validator").textContent = s.validator;
  $("mempool-count").textContent = s.mempool.count;
  $("mempool-bytes").textContent = s.mempool.bytes;
  $("supply").textContent = s.params.totalSupply;
  $("version").textContent = s.version;
  const v = $("validators"); while (v.rows.length > 1) v.deleteRow(1);
  const vr = v.insertRow(); cell(vr, s.validator, "mono"); cell(vr, "proposer");
  try { const h = await fetch("/health/ready").then(r => r.json()); $("health").textContent = h.status; } catch (e) { $("health").textContent = "unknown"; }
  const peers = await api("/api/v1/peers");
  const pt = $("peers").tBodies[0]; pt.innerHTML = "";
  for (const p of peers.items) { const r = pt.insertRow(); r.dataset.peer = p.peerID; cell(r, short(p.identity), "mono"); cell(r, p.address, "mono"); cell(r, p.height); cell(r, p.score.toFixed(1)); cell(r, p.outbound ? "out" : "in"); }
  const blocks = await api("/api/v1/blocks?limit=10");
  const bt = $("blocks").tBodies[0]; bt.innerHTML = "";
  for (const b of blocks.items) { const r = bt.insertRow(); r.dataset.height = b.height; cell(r, b.height); cell(r, short(b.hash), "mono"); cell(r, b.transactionCount); cell(r, new Date(b.timestamp).toISOString()); }
  const pool = await api("/api/v1/mempool?limit=20");
  const mt = $("mempool").tBodies[0]; mt.innerHTML = "";
  for (const t of pool.items) { const r = mt.insertRow(); cell(r, short(t.id), "mono"); cell(r, short(t.sender), "mono"); cell(r, t.nonce); cell(r, t.fee); }
  const txs = await api("/api/v1/transactions?limit=20");
  const tt = $("transactions").tBodies[0]; tt.innerHTML = "";
  for (const t of txs.items) { const r = tt.insertRow(); r.dataset.id = t.id; cell(r, short(t.id), "mono"); cell(r, t.height); cell(r, t.transaction ? t.transaction.payload.type : ""); cell(r, t.success ? "yes" : "no"); }
  await refreshGov();
}

// Open proposals among the newest 50, with the tally so far (voting) and the height their
// current period ends; the parameters in state, and those governance set for consensus.
async function refreshGov() {
  const p = await api("/api/v1/gov/params");
  $("gov-disabled").hidden = p.enabled;
  const params = p.enabled ? [["gov.minDeposit", p.minDeposit], ["gov.depositPeriod", p.depositPeriod], ["gov.votingPeriod", p.votingPeriod],
    ["gov.quorumBps", p.quorumBps], ["gov.thresholdBps", p.thresholdBps], ["gov.vetoBps", p.vetoBps],
    ["gov.maxEndingPerHeight", p.maxEndingPerHeight ?? "no cap"]] : [];
  for (const k of Object.keys(p.consensus).sort()) params.push([k, p.consensus[k]]);
  const gp = $("gov-params").tBodies[0]; gp.innerHTML = "";
  for (const [k, v] of params) { const r = gp.insertRow(); r.dataset.key = k; cell(r, k, "mono"); cell(r, v); }
  const up = $("gov-upgrades").tBodies[0]; up.innerHTML = "";
  for (const u of p.upgrades) { const r = up.insertRow(); r.dataset.name = u.name; cell(r, u.name, "mono"); cell(r, u.height); cell(r, p.knownUpgrades.includes(u.name) ? "known" : "UNKNOWN: will halt", p.knownUpgrades.includes(u.name) ? "ok" : "err"); }
  const list = p.enabled ? (await api("/api/v1/gov/proposals?limit=50")).items : [];
  const open = list.filter(x => x.status === "deposit_period" || x.status === "voting_period");
  const gt = $("gov-proposals").tBodies[0]; gt.innerHTML = "";
  for (const x of open) {
    const r = gt.insertRow(); r.dataset.id = x.id; const t = x.currentTally;
    cell(r, x.id); cell(r, x.content.title); cell(r, x.content.kind); cell(r, x.status);
    cell(r, x.status === "voting_period" ? x.votingEnd : x.depositEnd);
    for (const v of t ? [t.yes, t.no, t.abstain, t.noWithVeto, t.bonded] : ["", "", "", "", ""]) cell(r, v);
  }
  $("gov-none").hidden = !p.enabled || open.length > 0;
}

function connectEvents() {
  const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/api/v1/events");
  ws.onopen = () => { $("conn").textContent = "live"; ws.send(JSON.stringify({ op: "subscribe", blocks: true, modules: ["bank", "gov"] })); };
  ws.onclose = (e) => { $("conn").textContent = "disconnected (" + e.code + ")"; setTimeout(connectEvents, 2000); };
  ws.onmessage = (m) => {
    const msg = JSON.parse(m.data);
    if (msg.type !== "events") return;
    const list = $("events");
    for (const e of msg.events) {
      const li = document.createElement("li");
      li.textContent = "#" + e.seq + " " + e.type + (e.height !== undefined ? " h=" + e.height : "") + (e.amount !== undefined ? " " + e.amount : "");
      list.prepend(li);
      if (e.type === "block") { $("height").textContent = e.height; }
    }
    while (list.children.length > 50) list.removeChild(list.lastChild);
  };
}

async function open() {
  try {
    await api("/api/v1/admin/tokens", true);
  } catch (e) {
    $("login-error").textContent = e.message;
    sessionStorage.removeItem("agora-admin-token");
    return;
  }
  sessionStorage.setItem("agora-admin-token", token);
  $("login").hidden = true;
  $("dashboard").hidden = false;
  await refresh();
  setInterval(() => refresh().catch(() => {}), 2000);
  connectEvents();
}

$("login-form").addEventListener("submit", (e) => { e.preventDefault(); token = $("token").value.trim(); open(); });
if (token) open();
</script>
</body>
</html>
"""#
}
