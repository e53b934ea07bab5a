"""The SDK's exceptions: one class per kind of failure, each carrying what a program needs to
react (the node's error code and HTTP status, the field that was wrong, the transaction ID).

Everything derives from `AgoraError`, so `except AgoraError` catches all of it; input checks made
before anything is signed raise `InvalidInput` (a `ValueError` too), key-file problems `KeyFileError`
subclasses, and answers of the node `NodeError` subclasses with `.code` as the node wrote it
(docs/api.md lists the codes)."""
from __future__ import annotations


class AgoraError(Exception):
    """Base class of every exception the SDK raises on purpose."""


class InvalidInput(AgoraError, ValueError):
    """An argument is out of shape; raised before signing. `field` names the argument."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class InvalidAddress(InvalidInput):
    """Not an `ag1…` Bech32m address. `reason` is the node's `AddressError` case name
    (badChecksum, bech32Checksum, legacyHex, wrongPrefix, invalidCharacter, mixedCase,
    wrongLength, missingSeparator, badPadding)."""

    def __init__(self, field: str, reason: str, message: str):
        super().__init__(field, message)
        self.reason = reason


class KeyFileError(AgoraError):
    """A key file cannot be used; the subclasses say why."""


class KeyFileNotFound(KeyFileError):
    pass


class LoosePermissions(KeyFileError):
    """The file may be read by group or others (the node refuses those too: chmod 600)."""


class MalformedKeyFile(KeyFileError):
    pass


class UnsupportedKeyFile(KeyFileError):
    """A version, KDF, cipher or scrypt cost this reader does not accept."""


class PasswordRequired(KeyFileError):
    pass


class WrongPassword(KeyFileError):
    pass


class TamperedKeyFile(KeyFileError):
    """The header, ciphertext or address was edited: authentication or the key check failed."""


class NodeError(AgoraError):
    """The node answered with an error. `status` is the HTTP status (0 when the connection
    failed), `code` the node's error code (`nonce_too_low`, `group_not_found`, …)."""

    def __init__(self, status: int, code: str, message: str, *, path: str = ""):
        super().__init__(f"{code}: {message}" if status == 0 else f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.path = path


class NodeUnreachable(NodeError):
    def __init__(self, url: str, reason: str):
        super().__init__(0, "unreachable", f"cannot reach node at {url}: {reason}")


class NotFound(NodeError):
    """404: the account, group, claim, … does not exist (`code` says which)."""


class TransactionRejected(NodeError):
    """The node refused the transaction at admission (422/400/409/429/503) or dropped it later
    (`code` the rejection reason). `tx_id` is set when the node had given it an ID; `retry_after`
    only on `TransactionThrottled`."""

    retry_after: int | None = None

    def __init__(self, status: int, code: str, message: str, *, tx_id: str | None = None, path: str = ""):
        super().__init__(status, code, message, path=path)
        self.tx_id = tx_id


class TransactionThrottled(TransactionRejected):
    """Refused for load, not for what the transaction says (`mempool_busy` 503, `queued_limit` and
    `sender_pending_limit` 429, `rate_limited` 429; docs/mempool.md): the same signed transaction
    may be sent again after `retry_after` seconds (the node's Retry-After)."""

    def __init__(self, status: int, code: str, message: str, *, retry_after: int, tx_id: str | None = None, path: str = ""):
        super().__init__(status, code, message, tx_id=tx_id, path=path)
        self.retry_after = retry_after


class TransactionFailed(NodeError):
    """Committed, but its payload failed: the fee was paid and nothing else changed.
    `code` is the module failure (`not_group_member`, `insufficient_balance`, …)."""

    def __init__(self, tx_id: str, height: int, code: str, message: str):
        super().__init__(200, code, f"transaction {tx_id} committed at height {height} but failed: {message}")
        self.tx_id = tx_id
        self.height = height


class WaitTimeout(AgoraError):
    def __init__(self, tx_id: str, seconds: float):
        super().__init__(f"transaction {tx_id} not committed after {seconds} s")
        self.tx_id = tx_id
        self.seconds = seconds


class WrongChain(AgoraError):
    """The node serves another chain than the one this `Node` was pinned to."""

    def __init__(self, expected: str, found: str, what: str = "chain ID"):
        super().__init__(f"node is on another chain: {what} is {found!r}, expected {expected!r}")
        self.expected = expected
        self.found = found


class ArtifactMismatch(AgoraError):
    """Downloaded bytes do not hash to (or are not the size of) what was asked for."""

    def __init__(self, expected: str, found: str, size: int):
        super().__init__(f"artifact {expected}: received {size} bytes hashing to {found}")
        self.expected = expected
        self.found = found
        self.size = size


class EventStreamError(AgoraError):
    """The event stream answered `{"type": "error"}` or closed; `code` as the node sent it."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
