"""One `Node` method per transaction the CLI can send (`agora tx …`, `agora market …`), named
for what it does. Each validates and encodes its payload (`agora_client.payloads`), signs it with
`key` and submits it; the keyword options of `Node.submit` apply to all of them: `wait=True`
(return once committed), `fee=`, `expires_in=`, `nonce=`, `timeout=`. Methods that create
something return a `Receipt` whose `group_id`, `claim_id`, … is set."""
from __future__ import annotations

from typing import Any, Iterable, Mapping

from . import payloads as P
from .transaction import rotation_proof
from .views import Receipt


class TransactionMethods:
    # ---- bank ------------------------------------------------------------------------------

    def transfer(self, key, to: Any, amount: int, memo: str = "", **opts) -> Receipt:
        """Sends `amount` base units to `to` (an ag1… address or a Key); the sender also pays the
        chain's transfer fee in basis points."""
        return self.submit(key, "transfer", P.transfer(to, amount, memo), **opts)

    def faucet(self, key, **opts) -> Receipt:
        """Claims the chain's one-time faucet grant for `key` (fee 0)."""
        return self.submit(key, "faucet", P.faucet(), **opts)

    # ---- staking ---------------------------------------------------------------------------

    def update_validator(self, key, public_key: Any, power: int, **opts) -> Receipt:
        """Staking admin only: sets a validator's power from height H+2 (0 removes it)."""
        return self.submit(key, "validator_update", P.validator_update(public_key, power), **opts)

    def bond(self, key, amount: int, **opts) -> Receipt:
        return self.submit(key, "bond", P.bond(amount), **opts)

    def unbond(self, key, amount: int, **opts) -> Receipt:
        return self.submit(key, "unbond", P.unbond(amount), **opts)

    def rotate_validator_key(self, key, new_key, **opts) -> Receipt:
        """Hands `key`'s validator power and bond to `new_key` (a Key: it signs the proof)."""
        proof = rotation_proof(new_key, self.chain_id, key.public_key)
        return self.submit(key, "rotate_validator_key", P.rotate_validator_key(new_key.public_key, proof), **opts)

    def submit_evidence(self, key, votes: list[Mapping[str, Any]], **opts) -> Receipt:
        """Proof of a double sign: two conflicting signed votes (fee 0)."""
        return self.submit(key, "evidence", P.evidence(votes), **opts)

    # ---- groups and claims -----------------------------------------------------------------

    def create_group(self, key, name: str, policy: Mapping[str, Any] | None = None, **opts) -> Receipt:
        """A new group with `key` as its first admin; `receipt.group_id` is its ID."""
        return self.submit(key, "group_create", P.group_create(name, policy), **opts)

    def add_member(self, key, group: str, member: Any, role: str = "member", **opts) -> Receipt:
        """Group admins: adds `member` as admin, member or observer."""
        return self.submit(key, "group_add_member", P.group_add_member(group, member, role), **opts)

    def remove_member(self, key, group: str, member: Any, **opts) -> Receipt:
        return self.submit(key, "group_remove_member", P.group_remove_member(group, member), **opts)

    def set_role(self, key, group: str, member: Any, role: str, **opts) -> Receipt:
        return self.submit(key, "group_set_role", P.group_set_role(group, member, role), **opts)

    def update_group_policy(self, key, group: str, policy: Mapping[str, Any] | None, **opts) -> Receipt:
        return self.submit(key, "group_policy_update", P.group_policy_update(group, policy), **opts)

    def fund_group(self, key, group: str, amount: int, **opts) -> Receipt:
        return self.submit(key, "group_fund", P.group_fund(group, amount), **opts)

    def publish_claim(self, key, group: str, text: str, tags: Iterable[str] = (), parent: str | None = None,
                      artifacts: Iterable[Any] | None = None, sources: Iterable[str] | None = None, **opts) -> Receipt:
        """Publishes a claim (tags normalised as the node requires); `receipt.claim_id`. `sources`:
        claims it builds on, whose authors share royalties of sales of its artifacts."""
        return self.submit(key, "claim_publish", P.claim_publish(group, text, tags, parent, artifacts, sources), **opts)

    def retract_claim(self, key, claim: str, reason: str, **opts) -> Receipt:
        """Retracts a claim `key` published: it stays in history, marked, and default reads and
        `context` leave it out. Fails with `not_claim_author` for anyone else's claim."""
        return self.submit(key, "claim_retract", P.claim_retract(claim, reason), **opts)

    # ---- tasks -----------------------------------------------------------------------------

    def create_task(self, key, group: str, title: str, description: str = "", reward: int = 0, deadline: int | None = None,
                    artifacts: Iterable[Any] | None = None, **opts) -> Receipt:
        """A task in a group, its reward escrowed from `key`; `receipt.task_id`. `deadline` is a
        block time in ms."""
        return self.submit(key, "task_create", P.task_create(group, title, description, reward, deadline, artifacts), **opts)

    def assign_task(self, key, task: str, assignee: Any, **opts) -> Receipt:
        return self.submit(key, "task_assign", P.task_assign(task, assignee), **opts)

    def take_task(self, key, task: str, **opts) -> Receipt:
        """A member assigns a pending task to itself."""
        return self.submit(key, "task_assign", P.task_assign(task, key.address), **opts)

    def start_task(self, key, task: str, **opts) -> Receipt:
        return self.submit(key, "task_start", P.task_start(task), **opts)

    def complete_task(self, key, task: str, text: str, artifacts: Iterable[Any] | None = None, **opts) -> Receipt:
        return self.submit(key, "task_complete", P.task_complete(task, text, artifacts), **opts)

    def fail_task(self, key, task: str, reason: str = "", **opts) -> Receipt:
        return self.submit(key, "task_fail", P.task_fail(task, reason), **opts)

    def cancel_task(self, key, task: str, **opts) -> Receipt:
        return self.submit(key, "task_cancel", P.task_cancel(task), **opts)

    def expire_task(self, key, task: str, **opts) -> Receipt:
        return self.submit(key, "task_expire", P.task_expire(task), **opts)

    # ---- market (the payloads; the whole sale with HPKE is `market.py`'s `market_offer` …) ----

    def create_offer(self, key, title: str, artifact: Any, plaintext_sha256: str, key_commitment: str, price: int, bond: int,
                     expires_at: int, delivery_window_ms: int, dispute_window_ms: int, group: str | None = None,
                     royalty: dict | None = None, **opts) -> Receipt:
        """An offer of an encrypted artifact (`artifact` = the ciphertext's {sha256, size});
        `receipt.offer_id`. `royalty` {"claim": ID, "bps": 1…3000}: each sale pays that share of its
        proceeds after the fee to the authors of the claim's sources."""
        return self.submit(key, "market_offer", P.market_offer(title, artifact, plaintext_sha256, key_commitment, price, bond, expires_at,
                                                               delivery_window_ms, dispute_window_ms, group, royalty), **opts)

    def cancel_offer(self, key, offer: str, **opts) -> Receipt:
        return self.submit(key, "market_cancel", P.market_cancel(offer), **opts)

    def buy_offer(self, key, offer: str, buyer_key: Any, **opts) -> Receipt:
        """Escrows the price with a one-time X25519 public key (32 bytes); `receipt.purchase_id`."""
        return self.submit(key, "market_buy", P.market_buy(offer, buyer_key), **opts)

    def deliver_key(self, key, purchase: str, encapsulated_key: Any, ciphertext: Any, **opts) -> Receipt:
        return self.submit(key, "market_deliver", P.market_deliver(purchase, encapsulated_key, ciphertext), **opts)

    def dispute_purchase(self, key, purchase: str, buyer_secret: Any, **opts) -> Receipt:
        return self.submit(key, "market_dispute", P.market_dispute(purchase, buyer_secret), **opts)

    # ---- intents ---------------------------------------------------------------------------

    def post_intent(self, key, group: str, kind: str, text: str, terms: Mapping[str, Any] | None = None, bond: int = 0,
                    **opts) -> Receipt:
        """An offer or request (`kind`) in a group; `receipt.intent_id`."""
        return self.submit(key, "intent_post", P.intent_post(group, kind, text, terms, bond), **opts)

    def withdraw_intent(self, key, intent: str, **opts) -> Receipt:
        return self.submit(key, "intent_withdraw", P.intent_withdraw(intent), **opts)

    def register_mediator(self, key, stake: int, fee_bps: int, **opts) -> Receipt:
        return self.submit(key, "mediator_register", P.mediator_register(stake, fee_bps), **opts)

    def propose_settlement(self, key, intents: Iterable[str], terms_text: str, terms: Mapping[str, Any] | None,
                           payments: Iterable[Mapping[str, Any]], mediator_fee: int, accept_by: int, challenge_window: int,
                           score: Mapping[str, int] | None = None, **opts) -> Receipt:
        """Registered mediators: proposes a settlement; `receipt.settlement_id`."""
        return self.submit(key, "settlement_propose", P.settlement_propose(intents, terms_text, terms, payments, mediator_fee, accept_by,
                                                                           challenge_window, score or {}), **opts)

    def accept_settlement(self, key, settlement: str, **opts) -> Receipt:
        return self.submit(key, "settlement_accept", P.settlement_accept(settlement), **opts)

    def challenge_settlement(self, key, settlement: str, reason: str, bond: int, **opts) -> Receipt:
        return self.submit(key, "settlement_challenge", P.settlement_challenge(settlement, reason, bond), **opts)

    def resolve_challenge(self, key, settlement: str, upheld: bool, **opts) -> Receipt:
        return self.submit(key, "settlement_resolve", P.settlement_resolve(settlement, upheld), **opts)

    # ---- governance ------------------------------------------------------------------------

    def submit_proposal(self, key, title: str, action: Mapping[str, Any], deposit: int, summary: str = "", **opts) -> Receipt:
        """Submits a governance proposal with its first deposit (see `payloads.gov_submit` for
        the action's shapes); the chain numbers proposals in order (`query gov proposals`)."""
        return self.submit(key, "gov_submit", P.gov_submit(title, action, deposit, summary), **opts)

    def deposit_proposal(self, key, proposal: int, amount: int, **opts) -> Receipt:
        """Adds to a proposal's deposit while it is in its deposit period."""
        return self.submit(key, "gov_deposit", P.gov_deposit(proposal, amount), **opts)

    def vote_proposal(self, key, proposal: int, option: str, **opts) -> Receipt:
        """Bonded validators only: yes, abstain, no or no_with_veto; changeable until the end."""
        return self.submit(key, "gov_vote", P.gov_vote(proposal, option), **opts)
