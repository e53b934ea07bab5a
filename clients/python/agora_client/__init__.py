"""agora-client: a Python client for an Agora node.

    from agora_client import Node, Key
    node = Node("http://127.0.0.1:8645")
    alice = Key.load("keys/alice.json", password=None)
    receipt = node.transfer(alice, to=Key.generate().address, amount=5, wait=True)

Transactions are encoded (docs/formats.md) and signed locally; the node only sees signed bytes.
See clients/python/README.md."""
from . import bech32m, hpke, market, payloads
from .artifacts import ArtifactRef, request_header
from .errors import (
    AgoraError,
    ArtifactMismatch,
    EventStreamError,
    InvalidAddress,
    InvalidInput,
    KeyFileError,
    KeyFileNotFound,
    LoosePermissions,
    MalformedKeyFile,
    NodeError,
    NodeUnreachable,
    NotFound,
    PasswordRequired,
    TamperedKeyFile,
    TransactionFailed,
    TransactionRejected,
    TransactionThrottled,
    UnsupportedKeyFile,
    WaitTimeout,
    WrongChain,
    WrongPassword,
)
from .events import EventStream
from .hpke import HPKEError, HPKEOpenFailed, InvalidHPKEKey
from .keys import Key, address_of
from .market import (Bought, ContentAuthenticationFailed, DeliveryTimeout, MarketError, Offered, PlaintextMismatch,
                     WrongContentKey)
from .node import MAX_BATCH, BatchResult, Node
from .transaction import SignedTransaction, derived_id, sign_transaction
from .views import Receipt, View

__version__ = "0.1.0"

__all__ = [
    "Node", "BatchResult", "MAX_BATCH", "Key", "Receipt", "View", "EventStream", "ArtifactRef", "SignedTransaction",
    "address_of", "derived_id", "sign_transaction", "request_header", "bech32m", "payloads",
    "AgoraError", "InvalidInput", "InvalidAddress", "KeyFileError", "KeyFileNotFound", "LoosePermissions",
    "MalformedKeyFile", "UnsupportedKeyFile", "PasswordRequired", "WrongPassword", "TamperedKeyFile",
    "NodeError", "NodeUnreachable", "NotFound", "TransactionRejected", "TransactionThrottled", "TransactionFailed", "WaitTimeout",
    "WrongChain", "ArtifactMismatch", "EventStreamError",
    "hpke", "market", "Offered", "Bought", "MarketError", "WrongContentKey", "ContentAuthenticationFailed",
    "PlaintextMismatch", "DeliveryTimeout", "HPKEError", "HPKEOpenFailed", "InvalidHPKEKey",
]
