"""Encrypted reasoning content: sealed by the emulator, checked when it comes back.

With ``include: ["reasoning.encrypted_content"]`` a reasoning item carries
``encrypted_content``, an opaque string only this emulator can open: an HMAC-SHA256 tag
(under a secret made per emulator) followed by the item's id and summary, in URL-safe
base64. An input reasoning item carrying it is accepted when the tag holds and names the
item's id, and refused with the API's ``invalid_encrypted_content`` otherwise. Pure apart
from the random secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from typing import Any

from ._errors import JSON, WireError

__all__ = ["Sealer", "invalid_encrypted_content"]

_TAG = hashlib.sha256().digest_size


class Sealer:
    """Seals reasoning items into ``encrypted_content`` and checks it on the way back."""

    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret if secret is not None else secrets.token_bytes(32)

    def seal(self, item_id: str, summary: list[JSON]) -> str:
        """The ``encrypted_content`` of reasoning item ``item_id`` with ``summary``."""
        payload = json.dumps({"id": item_id, "summary": summary}, separators=(",", ":"))
        data = payload.encode()
        tag = hmac.new(self._secret, data, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(tag + data).decode()

    def opens(self, item: Mapping[str, Any]) -> bool:
        """Whether ``item``'s ``encrypted_content`` was sealed here, for this item's id."""
        token = item.get("encrypted_content")
        if not isinstance(token, str):
            return False
        try:
            raw = base64.urlsafe_b64decode(token.encode())
        except (binascii.Error, ValueError):
            return False
        tag, data = raw[:_TAG], raw[_TAG:]
        expected = hmac.new(self._secret, data, hashlib.sha256).digest()
        if not hmac.compare_digest(tag, expected):
            return False
        sealed = json.loads(data)
        return "id" not in item or sealed.get("id") == item["id"]


def invalid_encrypted_content(item: Mapping[str, Any]) -> WireError:
    """The API's 400 for reasoning content that does not verify."""
    return WireError(
        400,
        f"The encrypted content for item {item.get('id')} could not be verified. "
        "Reason: Encrypted content could not be decrypted or parsed.",
        code="invalid_encrypted_content",
    )
