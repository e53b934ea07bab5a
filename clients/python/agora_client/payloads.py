"""Every transaction payload of docs/formats.md, encoded from the arguments a program passes.

One function per payload kind (the node's `kind` names: `transfer`, `group_create`,
`claim_publish`, …), each returning the tag byte and fields as the node encodes them. Each checks
its arguments against the limits the node's decoder enforces, so a bad value is an
`InvalidInput` naming the argument before anything is signed, not a `malformed_transaction`
from the node. Where the node accepts only one order (claim tags, artifact lists, settlement
intents, the two votes of evidence) the arguments are normalised here, as the CLI does."""
from __future__ import annotations

import re
import unicodedata
from typing import Any, Callable, Iterable, Mapping

from . import bech32m
from .codec import MAX_AMOUNT, U64_MAX, Writer
from .errors import InvalidAddress, InvalidInput

MAX_MEMO = 256
MAX_GROUP_NAME = 64
MAX_CLAIM_TEXT = 8 * 1024
MAX_RETRACTION_REASON = 280
MAX_SOURCES = 8
MAX_ROYALTY_BPS = 3_000
# A claim with sources and an offer with a royalty are the same kinds under their own tags
# (`Payload.Tag.publishClaimWithSources`, `.createOfferWithRoyalty`): one encoding per value.
TAG_CLAIM_WITH_SOURCES = 41
TAG_OFFER_WITH_ROYALTY = 42
MAX_TAGS, MAX_TAG_BYTES = 8, 32
MAX_ARTIFACTS = 16
MAX_ARTIFACT_BYTES = 1 << 40
MAX_TASK_TITLE, MAX_TASK_TEXT, MAX_FAIL_REASON = 256, 8 * 1024, 1024
MAX_OFFER_TITLE = 256
MIN_WINDOW_MS, MAX_WINDOW_MS = 1_000, 30 * 24 * 3_600 * 1_000
MAX_INTENT_TEXT, MAX_ASSET = 2 * 1024, 32
MAX_SETTLEMENT_INTENTS, MAX_PAYMENTS, MAX_TERMS_TEXT = 8, 16, 4 * 1024
MIN_CHALLENGE_WINDOW, MAX_CHALLENGE_WINDOW = 3, 100_000
MAX_CHALLENGE_REASON = 1024
ROLES = {"admin": 1, "member": 2, "observer": 3}
INTENT_KINDS = {"offer": 1, "request": 2}
VOTE_KINDS = {"prevote": 1, "precommit": 2}
_TAG_RE = re.compile(r"^[a-z0-9\-_.:]+$")
_ASSET_RE = re.compile(r"^[a-z0-9\-_.]+$")

TAGS = {
    "transfer": 1, "faucet": 2, "validator_update": 3, "bond": 4, "unbond": 5, "rotate_validator_key": 6,
    "evidence": 7, "group_create": 8, "group_add_member": 9, "group_remove_member": 10, "group_set_role": 11,
    "group_policy_update": 12, "group_fund": 13, "claim_publish": 14, "market_offer": 15, "market_cancel": 16,
    "market_buy": 17, "market_deliver": 18, "market_dispute": 19, "task_create": 21, "task_assign": 22,
    "task_start": 23, "task_complete": 24, "task_fail": 25, "task_cancel": 26, "task_expire": 27,
    "intent_post": 28, "intent_withdraw": 29, "mediator_register": 30, "settlement_propose": 31,
    "settlement_accept": 32, "settlement_challenge": 33, "settlement_resolve": 34, "claim_retract": 40,
    "gov_submit": 48, "gov_deposit": 49, "gov_vote": 50,
}
# The node charges no fee for these (and refuses one): `Payload.isFeeExempt`.
FEE_EXEMPT = {"faucet", "evidence"}


# ---- argument checks ---------------------------------------------------------------------


def _amount(v: Any, field: str, minimum: int = 0) -> int:
    """An amount in base units: an integer in minimum…2^63−1."""
    if isinstance(v, bool) or not isinstance(v, int):
        raise InvalidInput(field, f"must be an integer amount, got {type(v).__name__}")
    if v < minimum or v > MAX_AMOUNT:
        raise InvalidInput(field, f"{v} is outside {minimum}…2^63-1")
    return v


def uint(v: Any, field: str, limit: int = U64_MAX, minimum: int = 0) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < minimum or v > limit:
        raise InvalidInput(field, f"{v!r} is not an integer in {minimum}…{limit}")
    return v


def hex_bytes(v: Any, field: str, length: int = 32) -> bytes:
    """`length` bytes given as bytes or hex (IDs, keys, hashes)."""
    if isinstance(v, (bytes, bytearray)):
        raw = bytes(v)
    elif isinstance(v, str):
        try:
            raw = bytes.fromhex(v)
        except ValueError:
            raise InvalidInput(field, f"{v[:80]!r} is not hex") from None
    else:
        raise InvalidInput(field, f"must be {length} bytes or {2 * length} hex digits, got {type(v).__name__}")
    if len(raw) != length:
        raise InvalidInput(field, f"must be {length} bytes ({2 * length} hex digits), got {len(raw)}")
    return raw


def address(v: Any, field: str) -> bytes:
    """The 20 bytes of an address given as `ag1…` text or as anything with an `.address`."""
    if hasattr(v, "address") and not isinstance(v, str):
        v = v.address
    return bech32m.decode(v, field)


def _text(v: Any, field: str, minimum: int, maximum: int, *, no_control: bool = False, not_blank: bool = False) -> bytes:
    if not isinstance(v, str):
        raise InvalidInput(field, f"must be a string, got {type(v).__name__}")
    raw = v.encode("utf-8")
    if not minimum <= len(raw) <= maximum:
        raise InvalidInput(field, f"is {len(raw)} bytes of UTF-8; allowed {minimum}…{maximum}")
    if no_control and any(_is_control(c) for c in v):
        raise InvalidInput(field, "must not hold control characters")
    if not_blank and not v.strip():
        raise InvalidInput(field, "must not be blank")
    return raw


def _is_control(c: str) -> bool:
    return unicodedata.category(c) == "Cc"


def normalize_tags(tags: Iterable[str]) -> list[str]:
    """As the node's `ClaimTags.normalize`: trim, drop a leading `#`, lower-case, de-duplicate,
    sort bytewise; at most 8 tags of 1–32 of `a-z 0-9 - _ . :`."""
    if isinstance(tags, str):
        raise InvalidInput("tags", "must be a list of strings, not one string")
    out = set()
    for raw in tags:
        if not isinstance(raw, str):
            raise InvalidInput("tags", f"{raw!r} is not a string")
        t = raw.strip(" \t")
        if t.startswith("#"):
            t = t[1:]
        t = t.lower()
        if not t:
            raise InvalidInput("tags", "a tag is empty")
        if len(t.encode()) > MAX_TAG_BYTES:
            raise InvalidInput("tags", f"tag {t} is longer than {MAX_TAG_BYTES} bytes")
        if not _TAG_RE.match(t):
            raise InvalidInput("tags", f"tag {t} may only hold a-z 0-9 - _ . :")
        out.add(t)
    if len(out) > MAX_TAGS:
        raise InvalidInput("tags", f"{len(out)} tags; at most {MAX_TAGS}")
    return sorted(out, key=lambda s: s.encode())


def artifact_refs(refs: Iterable[Any] | None, field: str = "artifacts") -> list[tuple[bytes, int]]:
    """Artifact references ({"sha256", "size"} mappings or (sha256, size) pairs), sorted by hash."""
    out = [artifact_ref(r, field) for r in (refs or [])]
    out.sort(key=lambda r: r[0])
    if len(out) > MAX_ARTIFACTS:
        raise InvalidInput(field, f"{len(out)} artifacts; at most {MAX_ARTIFACTS}")
    for a, b in zip(out, out[1:]):
        if a[0] == b[0]:
            raise InvalidInput(field, f"artifact {a[0].hex()} is listed twice")
    return out


def artifact_ref(r: Any, field: str) -> tuple[bytes, int]:
    if isinstance(r, Mapping):
        sha, size = r.get("sha256"), r.get("size")
    elif isinstance(r, (tuple, list)) and len(r) == 2:
        sha, size = r
    elif hasattr(r, "sha256") and hasattr(r, "size"):
        sha, size = r.sha256, r.size
    else:
        raise InvalidInput(field, f"{r!r} is not an artifact reference (sha256, size)")
    return hex_bytes(sha, f"{field}.sha256"), uint(size, f"{field}.size", MAX_ARTIFACT_BYTES, 1)


def _write_refs(w: Writer, refs: list[tuple[bytes, int]]) -> None:
    w.array(refs, lambda r: (w.fixed(r[0], 32), w.u64(r[1])))


def policy_fields(p: Mapping[str, Any] | None) -> bytes:
    """A group policy; None or {} pays nothing. Keys: faucet_amount, claim_reward,
    transfer_fee_bps (≤ 10,000), max_supply, max_balance."""
    p = dict(p or {})
    known = {"faucet_amount", "claim_reward", "transfer_fee_bps", "max_supply", "max_balance"}
    unknown = set(p) - known
    if unknown:
        raise InvalidInput("policy", f"unknown fields {sorted(unknown)}; known: {sorted(known)}")
    w = Writer()
    w.u64(_amount(p.get("faucet_amount", 0), "policy.faucet_amount"))
    w.u64(_amount(p.get("claim_reward", 0), "policy.claim_reward"))
    w.u16(uint(p.get("transfer_fee_bps", 0), "policy.transfer_fee_bps", 10_000))
    w.u64(_amount(p.get("max_supply", 0), "policy.max_supply"))
    w.u64(_amount(p.get("max_balance", 0), "policy.max_balance"))
    return w.done()


def terms_fields(t: Mapping[str, Any] | None, field: str = "terms") -> bytes:
    """Intent terms: asset (0–32 of a-z 0-9 - _ .; "" for none), amount and price as a number
    or [min, max] (or None), deadline a height > 0 (or None)."""
    t = dict(t or {})
    unknown = set(t) - {"asset", "amount", "price", "deadline"}
    if unknown:
        raise InvalidInput(field, f"unknown fields {sorted(unknown)}; known: asset, amount, price, deadline")
    asset = t.get("asset") or ""
    if not isinstance(asset, str):
        raise InvalidInput(f"{field}.asset", "must be a string")
    asset = asset.strip().lower().replace(" ", "-")
    if asset and (len(asset) > MAX_ASSET or not _ASSET_RE.match(asset)):
        raise InvalidInput(f"{field}.asset", f'"{asset}" must be 1-{MAX_ASSET} of a-z 0-9 - _ .')
    w = Writer().string(asset)
    for name in ("amount", "price"):
        w.option(_range(t.get(name), f"{field}.{name}"), lambda r: (w.u64(r[0]), w.u64(r[1])))
    deadline = t.get("deadline")
    w.option(None if deadline is None else uint(deadline, f"{field}.deadline", U64_MAX, 1), w.u64)
    return w.done()


def _range(v: Any, field: str) -> tuple[int, int] | None:
    """None, a single amount (min = max) or [min, max]."""
    if v is None:
        return None
    if isinstance(v, int) and not isinstance(v, bool):
        lo = hi = v
    elif isinstance(v, (list, tuple)) and len(v) == 2:
        lo, hi = v
    else:
        raise InvalidInput(field, f"{v!r} is not a number or [min, max]")
    lo, hi = _amount(lo, f"{field}.min"), _amount(hi, f"{field}.max")
    if lo > hi:
        raise InvalidInput(field, f"range {lo}..{hi} has its minimum above its maximum")
    return lo, hi


def _role(v: Any) -> int:
    if v not in ROLES:
        raise InvalidInput("role", f"{v!r} is not one of {', '.join(ROLES)}")
    return ROLES[v]


def _start(kind: str) -> Writer:
    return Writer().u8(TAGS[kind])


# ---- bank and staking --------------------------------------------------------------------


def transfer(to: Any, amount: int, memo: str = "") -> bytes:
    w = _start("transfer").fixed(address(to, "to"), 20)
    w.u64(_amount(amount, "amount", 1))
    return w.bytes(_text(memo, "memo", 0, MAX_MEMO)).done()


def faucet() -> bytes:
    return _start("faucet").done()


def validator_update(public_key: Any, power: int) -> bytes:
    return _start("validator_update").fixed(hex_bytes(public_key, "public_key"), 32).u64(uint(power, "power")).done()


def bond(amount: int) -> bytes:
    return _start("bond").u64(_amount(amount, "amount")).done()


def unbond(amount: int) -> bytes:
    return _start("unbond").u64(_amount(amount, "amount")).done()


def rotate_validator_key(new_key: Any, proof: Any) -> bytes:
    return _start("rotate_validator_key").fixed(hex_bytes(new_key, "new_key"), 32).fixed(hex_bytes(proof, "proof", 64), 64).done()


def evidence(votes: list[Mapping[str, Any]]) -> bytes:
    """Two conflicting signed votes of one validator ({chain_id, height, round, kind, block_hash,
    validator, signature}); written lower block hash first, as the node requires."""
    if not isinstance(votes, (list, tuple)) or len(votes) != 2:
        raise InvalidInput("votes", "evidence is exactly two signed votes")
    a, b = votes
    same = ("validator", "chain_id", "height", "round", "kind")
    if any(a.get(k) != b.get(k) for k in same):
        raise InvalidInput("votes", "not a conflict: the votes differ in validator, chain, height, round or kind")
    first, second = sorted((_signed_vote(v, f"votes[{i}]") for i, v in enumerate(votes)), key=lambda e: e[0])
    if first[0] == second[0]:
        raise InvalidInput("votes", "not a conflict: both votes are for the same block")
    return _start("evidence").done() + first[1] + second[1]


def _signed_vote(v: Mapping[str, Any], field: str) -> tuple[bytes, bytes]:
    kind = v.get("kind")
    if kind not in VOTE_KINDS:
        raise InvalidInput(f"{field}.kind", f"{kind!r} is not prevote or precommit")
    block = hex_bytes(v.get("block_hash"), f"{field}.block_hash")
    w = Writer().string(_chain_id(v.get("chain_id"), f"{field}.chain_id"))
    w.u64(uint(v.get("height"), f"{field}.height")).u32(uint(v.get("round"), f"{field}.round", 0xFFFFFFFF))
    w.u8(VOTE_KINDS[kind]).fixed(block, 32)
    w.fixed(hex_bytes(v.get("validator"), f"{field}.validator"), 32).fixed(hex_bytes(v.get("signature"), f"{field}.signature", 64), 64)
    return block, w.done()


_CHAIN_RE = re.compile(r"^[a-z0-9._\-]{1,64}$")


def _chain_id(v: Any, field: str = "chain_id") -> str:
    if not isinstance(v, str) or not _CHAIN_RE.match(v):
        raise InvalidInput(field, f"{v!r} is not a chain ID (1-64 of a-z 0-9 . _ -)")
    return v


# ---- groups and claims -------------------------------------------------------------------


def group_create(name: str, policy: Mapping[str, Any] | None = None) -> bytes:
    return _start("group_create").bytes(_text(name, "name", 1, MAX_GROUP_NAME, no_control=True)).done() + policy_fields(policy)


def group_add_member(group: Any, member: Any, role: str = "member") -> bytes:
    return _start("group_add_member").fixed(hex_bytes(group, "group"), 32).fixed(address(member, "member"), 20).u8(_role(role)).done()


def group_remove_member(group: Any, member: Any) -> bytes:
    return _start("group_remove_member").fixed(hex_bytes(group, "group"), 32).fixed(address(member, "member"), 20).done()


def group_set_role(group: Any, member: Any, role: str) -> bytes:
    return _start("group_set_role").fixed(hex_bytes(group, "group"), 32).fixed(address(member, "member"), 20).u8(_role(role)).done()


def group_policy_update(group: Any, policy: Mapping[str, Any] | None) -> bytes:
    return _start("group_policy_update").fixed(hex_bytes(group, "group"), 32).done() + policy_fields(policy)


def group_fund(group: Any, amount: int) -> bytes:
    return _start("group_fund").fixed(hex_bytes(group, "group"), 32).u64(_amount(amount, "amount")).done()


def claim_publish(group: Any, text: str, tags: Iterable[str] = (), parent: Any = None, artifacts: Iterable[Any] | None = None,
                  sources: Iterable[Any] | None = None) -> bytes:
    """A claim; `sources` are the claims it builds on (royalty parents: ≤ 8, must exist; sorted and
    de-duplicated here as the node requires)."""
    srcs = sorted({hex_bytes(s, "sources") for s in (sources or [])})
    if len(srcs) > MAX_SOURCES:
        raise InvalidInput("sources", f"{len(srcs)} sources; at most {MAX_SOURCES}")
    w = Writer().u8(TAG_CLAIM_WITH_SOURCES if srcs else TAGS["claim_publish"]).fixed(hex_bytes(group, "group"), 32)
    w.bytes(_text(text, "text", 1, MAX_CLAIM_TEXT))
    w.array(normalize_tags(tags), w.string)
    w.option(None if parent is None else hex_bytes(parent, "parent"), lambda p: w.fixed(p, 32))
    _write_refs(w, artifact_refs(artifacts))
    if srcs:
        w.array(srcs, lambda s: w.fixed(s, 32))
    return w.done()


def claim_retract(claim: Any, reason: str) -> bytes:
    """The author's retraction of `claim`: a reason of 1…280 bytes without control characters."""
    return _start("claim_retract").fixed(hex_bytes(claim, "claim"), 32).bytes(
        _text(reason, "reason", 1, MAX_RETRACTION_REASON, no_control=True)).done()


# ---- tasks -------------------------------------------------------------------------------


def task_create(group: Any, title: str, description: str = "", reward: int = 0, deadline: int | None = None,
                artifacts: Iterable[Any] | None = None) -> bytes:
    w = _start("task_create").fixed(hex_bytes(group, "group"), 32)
    w.bytes(_text(title, "title", 1, MAX_TASK_TITLE)).bytes(_text(description, "description", 0, MAX_TASK_TEXT))
    w.u64(_amount(reward, "reward"))
    w.option(None if deadline is None else uint(deadline, "deadline", U64_MAX, 1), w.u64)
    _write_refs(w, artifact_refs(artifacts))
    return w.done()


def task_assign(task: Any, assignee: Any) -> bytes:
    return _start("task_assign").fixed(hex_bytes(task, "task"), 32).fixed(address(assignee, "assignee"), 20).done()


def task_start(task: Any) -> bytes:
    return _start("task_start").fixed(hex_bytes(task, "task"), 32).done()


def task_complete(task: Any, text: str, artifacts: Iterable[Any] | None = None) -> bytes:
    w = _start("task_complete").fixed(hex_bytes(task, "task"), 32).bytes(_text(text, "text", 1, MAX_TASK_TEXT))
    _write_refs(w, artifact_refs(artifacts))
    return w.done()


def task_fail(task: Any, reason: str = "") -> bytes:
    return _start("task_fail").fixed(hex_bytes(task, "task"), 32).bytes(_text(reason, "reason", 0, MAX_FAIL_REASON)).done()


def task_cancel(task: Any) -> bytes:
    return _start("task_cancel").fixed(hex_bytes(task, "task"), 32).done()


def task_expire(task: Any) -> bytes:
    return _start("task_expire").fixed(hex_bytes(task, "task"), 32).done()


# ---- market ------------------------------------------------------------------------------


def market_offer(title: str, artifact: Any, plaintext_sha256: Any, key_commitment: Any, price: int, bond: int,
                 expires_at: int, delivery_window_ms: int, dispute_window_ms: int, group: Any = None,
                 royalty: Mapping[str, Any] | None = None) -> bytes:
    """An offer; `royalty` {"claim": ID, "bps": 1…3000} pays that share of each sale's proceeds
    after the fee to the authors of the claim's sources (the artifact must be attached to the claim)."""
    w = Writer().u8(TAG_OFFER_WITH_ROYALTY if royalty else TAGS["market_offer"]).bytes(_text(title, "title", 0, MAX_OFFER_TITLE, no_control=True))
    sha, size = artifact_ref(artifact, "artifact")
    w.fixed(sha, 32).u64(size)
    w.fixed(hex_bytes(plaintext_sha256, "plaintext_sha256"), 32).fixed(hex_bytes(key_commitment, "key_commitment"), 32)
    w.u64(_amount(price, "price", 1)).u64(_amount(bond, "bond")).u64(uint(expires_at, "expires_at"))
    w.u64(uint(delivery_window_ms, "delivery_window_ms", MAX_WINDOW_MS, MIN_WINDOW_MS))
    w.u64(uint(dispute_window_ms, "dispute_window_ms", MAX_WINDOW_MS, MIN_WINDOW_MS))
    w.option(None if group is None else hex_bytes(group, "group"), lambda g: w.fixed(g, 32))
    if royalty:
        if not isinstance(royalty, Mapping) or set(royalty) != {"claim", "bps"}:
            raise InvalidInput("royalty", "must be {claim, bps}")
        w.fixed(hex_bytes(royalty["claim"], "royalty.claim"), 32).u16(uint(royalty["bps"], "royalty.bps", MAX_ROYALTY_BPS, 1))
    return w.done()


def market_cancel(offer: Any) -> bytes:
    return _start("market_cancel").fixed(hex_bytes(offer, "offer"), 32).done()


def market_buy(offer: Any, buyer_key: Any) -> bytes:
    return _start("market_buy").fixed(hex_bytes(offer, "offer"), 32).fixed(hex_bytes(buyer_key, "buyer_key"), 32).done()


def market_deliver(purchase: Any, encapsulated_key: Any, ciphertext: Any) -> bytes:
    w = _start("market_deliver").fixed(hex_bytes(purchase, "purchase"), 32)
    return w.fixed(hex_bytes(encapsulated_key, "encapsulated_key"), 32).fixed(hex_bytes(ciphertext, "ciphertext", 48), 48).done()


def market_dispute(purchase: Any, buyer_secret: Any) -> bytes:
    return _start("market_dispute").fixed(hex_bytes(purchase, "purchase"), 32).fixed(hex_bytes(buyer_secret, "buyer_secret"), 32).done()


# ---- intents -----------------------------------------------------------------------------


def intent_post(group: Any, intent_kind: str, text: str, terms: Mapping[str, Any] | None = None, bond: int = 0) -> bytes:
    if intent_kind not in INTENT_KINDS:
        raise InvalidInput("intent_kind", f"{intent_kind!r} is not offer or request")
    w = _start("intent_post").fixed(hex_bytes(group, "group"), 32).u8(INTENT_KINDS[intent_kind])
    w.bytes(_text(text, "text", 1, MAX_INTENT_TEXT, not_blank=True))
    return w.done() + terms_fields(terms) + Writer().u64(_amount(bond, "bond")).done()


def intent_withdraw(intent: Any) -> bytes:
    return _start("intent_withdraw").fixed(hex_bytes(intent, "intent"), 32).done()


def mediator_register(stake: int, fee_bps: int) -> bytes:
    return _start("mediator_register").u64(_amount(stake, "stake")).u16(uint(fee_bps, "fee_bps", 10_000)).done()


def settlement_propose(intents: Iterable[Any], terms_text: str, terms: Mapping[str, Any] | None, payments: Iterable[Mapping[str, Any]],
                       mediator_fee: int, accept_by: int, challenge_window: int, score: Mapping[str, int]) -> bytes:
    ids = sorted(hex_bytes(i, "intents") for i in intents)
    if not 2 <= len(ids) <= MAX_SETTLEMENT_INTENTS or len(set(ids)) != len(ids):
        raise InvalidInput("intents", f"2-{MAX_SETTLEMENT_INTENTS} different intents, got {len(ids)}")
    pays = [_payment(p, f"payments[{i}]") for i, p in enumerate(payments)]
    if len(pays) > MAX_PAYMENTS:
        raise InvalidInput("payments", f"{len(pays)} payments; at most {MAX_PAYMENTS}")
    w = _start("settlement_propose")
    w.array(ids, lambda i: w.fixed(i, 32)).bytes(_text(terms_text, "terms_text", 1, MAX_TERMS_TEXT))
    w.buf += terms_fields(terms)
    w.array(pays, lambda p: w.fixed(p[0], 20).fixed(p[1], 20).u64(p[2]))
    w.u64(_amount(mediator_fee, "mediator_fee")).u64(uint(accept_by, "accept_by"))
    w.u64(uint(challenge_window, "challenge_window", MAX_CHALLENGE_WINDOW, MIN_CHALLENGE_WINDOW))
    s = dict(score or {})
    w.u8(uint(s.get("source", 1), "score.source", 0xFF))
    for k in ("kind", "terms", "text", "total"):
        w.u32(uint(s.get(k, 0), f"score.{k}", 0xFFFFFFFF))
    return w.done()


def _payment(p: Mapping[str, Any], field: str) -> tuple[bytes, bytes, int]:
    frm, to = address(p.get("from"), f"{field}.from"), address(p.get("to"), f"{field}.to")
    if frm == to:
        raise InvalidInput(field, "from and to are the same address")
    return frm, to, _amount(p.get("amount"), f"{field}.amount", 1)


def settlement_accept(settlement: Any) -> bytes:
    return _start("settlement_accept").fixed(hex_bytes(settlement, "settlement"), 32).done()


def settlement_challenge(settlement: Any, reason: str, bond: int) -> bytes:
    w = _start("settlement_challenge").fixed(hex_bytes(settlement, "settlement"), 32)
    return w.bytes(_text(reason, "reason", 1, MAX_CHALLENGE_REASON)).u64(_amount(bond, "bond")).done()


def settlement_resolve(settlement: Any, upheld: bool) -> bytes:
    if not isinstance(upheld, bool):
        raise InvalidInput("upheld", "must be True or False")
    return _start("settlement_resolve").fixed(hex_bytes(settlement, "settlement"), 32).boolean(upheld).done()


# ---- governance (docs/governance.md) -----------------------------------------------------

VOTE_OPTIONS = {"yes": 1, "abstain": 2, "no": 3, "no_with_veto": 4}
# The closed list of keys a parameter change may name (`ParamKey`); bounds are checked by the node.
PARAM_KEYS = {
    "bank.transferFeeBps": 1, "bank.minFee": 2, "bank.faucetAmount": 3, "bank.blockReward": 4,
    "staking.minBond": 10, "staking.doubleSignSlashBps": 11, "staking.maxEvidenceAge": 12,
    "gov.minDeposit": 20, "gov.depositPeriod": 21, "gov.votingPeriod": 22, "gov.quorumBps": 23,
    "gov.thresholdBps": 24, "gov.vetoBps": 25,
    "consensus.timeoutProposeMs": 30, "consensus.timeoutProposeDeltaMs": 31, "consensus.timeoutPrevoteMs": 32,
    "consensus.timeoutPrevoteDeltaMs": 33, "consensus.timeoutPrecommitMs": 34, "consensus.timeoutPrecommitDeltaMs": 35,
    "block.maxTransactions": 40, "block.maxBytes": 41,
}
PROPOSAL_ACTIONS = {"text": 1, "parameter_change": 2, "validator_change": 3, "treasury_spend": 4,
                    "software_upgrade": 5, "cancel_upgrade": 6}
MAX_PROPOSAL_TITLE, MAX_PROPOSAL_SUMMARY = 140, 4 * 1024
MAX_PARAM_CHANGES, MAX_VALIDATOR_CHANGES = 16, 32
MAX_UPGRADE_INFO = 1024
_UPGRADE_NAME_RE = re.compile(r"^[a-z0-9._\-]{1,64}$")


def _upgrade_name(v: Any) -> bytes:
    if not isinstance(v, str) or not _UPGRADE_NAME_RE.match(v):
        raise InvalidInput("name", f"{v!r}: use 1-64 of a-z 0-9 . _ -")
    return v.encode()


def _param_changes(changes: Any) -> list[tuple[int, int]]:
    """{key name: value} → (key tag, value) sorted by tag, as the node accepts only one order."""
    if not isinstance(changes, Mapping) or not 1 <= len(changes) <= MAX_PARAM_CHANGES:
        raise InvalidInput("changes", f"must map 1…{MAX_PARAM_CHANGES} parameter names to values")
    out = []
    for name, value in changes.items():
        if name not in PARAM_KEYS:
            raise InvalidInput("changes", f"{name!r} is not one of {', '.join(PARAM_KEYS)}")
        out.append((PARAM_KEYS[name], uint(value, f"changes.{name}")))
    return sorted(out)


def _validator_changes(validators: Any) -> list[tuple[bytes, int]]:
    """[{public_key, power}] → sorted by key bytes, no key twice; power 0 removes."""
    if not isinstance(validators, (list, tuple)) or not 1 <= len(validators) <= MAX_VALIDATOR_CHANGES:
        raise InvalidInput("validators", f"must list 1…{MAX_VALIDATOR_CHANGES} validators")
    out = sorted((hex_bytes(v["public_key"], "validators.public_key"), uint(v["power"], "validators.power")) for v in validators)
    if len({k for k, _ in out}) != len(out):
        raise InvalidInput("validators", "a public key is named twice")
    return out


def _proposal_action(w: Writer, action: Mapping[str, Any]) -> None:
    kind = action.get("kind") if isinstance(action, Mapping) else None
    if kind not in PROPOSAL_ACTIONS:
        raise InvalidInput("action", f"kind must be one of {', '.join(PROPOSAL_ACTIONS)}, got {kind!r}")
    w.u8(PROPOSAL_ACTIONS[kind])
    if kind == "parameter_change":
        w.array(_param_changes(action.get("changes")), lambda c: w.u8(c[0]).u64(c[1]))
    elif kind == "validator_change":
        w.array(_validator_changes(action.get("validators")), lambda v: w.fixed(v[0], 32).u64(v[1]))
    elif kind == "treasury_spend":
        w.fixed(address(action.get("to"), "to"), 20).u64(_amount(action.get("amount"), "amount", 1))
    elif kind == "software_upgrade":
        w.bytes(_upgrade_name(action.get("name"))).u64(uint(action.get("height"), "height", minimum=1))
        w.bytes(_text(action.get("info", ""), "info", 0, MAX_UPGRADE_INFO))
    elif kind == "cancel_upgrade":
        w.bytes(_upgrade_name(action.get("name")))


def gov_submit(title: str, action: Mapping[str, Any], deposit: int, summary: str = "") -> bytes:
    """A proposal with its first deposit. `action`: {"kind": "text"}, {"kind": "parameter_change",
    "changes": {"bank.transferFeeBps": 300}}, {"kind": "validator_change", "validators":
    [{"public_key": hex, "power": n}]}, {"kind": "treasury_spend", "to": ag1…, "amount": n},
    {"kind": "software_upgrade", "name": …, "height": h, "info": …}, {"kind": "cancel_upgrade", "name": …}."""
    w = _start("gov_submit").bytes(_text(title, "title", 1, MAX_PROPOSAL_TITLE))
    w.bytes(_text(summary, "summary", 0, MAX_PROPOSAL_SUMMARY))
    _proposal_action(w, action)
    return w.u64(_amount(deposit, "deposit")).done()


def gov_deposit(proposal: int, amount: int) -> bytes:
    return _start("gov_deposit").u64(uint(proposal, "proposal")).u64(_amount(amount, "amount", 1)).done()


def gov_vote(proposal: int, option: str) -> bytes:
    if option not in VOTE_OPTIONS:
        raise InvalidInput("option", f"{option!r} is not one of {', '.join(VOTE_OPTIONS)}")
    return _start("gov_vote").u64(uint(proposal, "proposal")).u8(VOTE_OPTIONS[option]).done()


ENCODERS: dict[str, Callable[..., bytes]] = {kind: globals()[kind] for kind in TAGS}

__all__ = ["ENCODERS", "TAGS", "FEE_EXEMPT", "normalize_tags", "InvalidAddress"]
