"""Encryption layer of the portal (DESIGN §4).

Free of Flask and of ``portal``: it takes bytes and keys and returns bytes, so it
can be reviewed, tested and replaced on its own. The functions below are its whole
public API, named for what they do; primitives stay in ``crypto._primitives``.
Every parameter lives in ``crypto.params``.
"""

from crypto.blind_index import (
    email_token,
    host_token,
    name_token,
    person_token,
    phone_token,
    referral_tokens,
)
from crypto.envelope import (
    ItemPlace,
    new_data_key,
    open_chunks,
    open_item,
    open_text,
    seal_chunks,
    seal_item,
    seal_text,
)
from crypto.errors import DecryptionError
from crypto.keys import (
    KeyPair,
    grant_access,
    key_id,
    new_key_pair,
    open_grant,
    open_secret,
    seal_secret,
)
from crypto.passwords import (
    PasswordSecrets,
    protect_private_key,
    unlock_private_key,
    unwrap_key,
    wrap_key,
)
from crypto.receipts import (
    InvalidReceipt,
    ReceiptKeys,
    format_receipt,
    new_receipt,
    normalise_receipt,
    receipt_keys,
)
from crypto.recovery import RecoveryKit, new_recovery_kit, recover_private_key

__all__ = [
    "DecryptionError",
    "InvalidReceipt",
    "ItemPlace",
    "KeyPair",
    "PasswordSecrets",
    "ReceiptKeys",
    "RecoveryKit",
    "email_token",
    "format_receipt",
    "grant_access",
    "host_token",
    "key_id",
    "name_token",
    "new_data_key",
    "new_key_pair",
    "new_receipt",
    "new_recovery_kit",
    "normalise_receipt",
    "open_chunks",
    "open_grant",
    "open_item",
    "open_secret",
    "open_text",
    "person_token",
    "phone_token",
    "protect_private_key",
    "receipt_keys",
    "recover_private_key",
    "referral_tokens",
    "seal_chunks",
    "seal_item",
    "seal_secret",
    "seal_text",
    "unlock_private_key",
    "unwrap_key",
    "wrap_key",
]
