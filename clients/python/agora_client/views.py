"""What reads return: the node's JSON (docs/api.md) as `View`, a dict whose keys are also
attributes, in the node's camelCase or in snake_case (`account.next_nonce` reads `nextNonce`),
so programs get attribute access without the SDK re-declaring every field the API has; and
`Receipt`, the outcome of a submitted transaction with the IDs of what it created."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


class View(dict):
    """A JSON object of the node's API with attribute access."""

    def __getattr__(self, name: str) -> Any:
        for key in (name, _camel(name), _camel(name).replace("Id", "ID"), _camel(name).replace("Sha256", "SHA256")):
            if key in self:
                return self[key]
        raise AttributeError(f"{name!r} is not in this {self.get('type', 'view')} (keys: {', '.join(sorted(self))})")


def wrap(v: Any) -> Any:
    """JSON as Views all the way down (item lists of pages included)."""
    if isinstance(v, dict):
        return View({k: wrap(x) for k, x in v.items()})
    if isinstance(v, list):
        return [wrap(x) for x in v]
    return v


@dataclass
class Receipt:
    """A submitted transaction. With `wait=True` it is committed and succeeded (a failure raises
    `TransactionFailed`), `height` and `fee_paid` are set; otherwise `status` is what the node
    answered at admission (`pending` or `queued`). The `*_id` fields hold the ID of what the
    transaction creates (derived from sender and nonce, so known before it commits)."""

    id: str
    status: str
    nonce: int
    sender: str
    kind: str
    height: Optional[int] = None
    index: Optional[int] = None
    fee_paid: Optional[int] = None
    group_id: Optional[str] = None
    claim_id: Optional[str] = None
    task_id: Optional[str] = None
    offer_id: Optional[str] = None
    purchase_id: Optional[str] = None
    intent_id: Optional[str] = None
    settlement_id: Optional[str] = None
    raw: dict = field(default_factory=dict, repr=False)

    @property
    def committed(self) -> bool:
        return self.status == "committed"
