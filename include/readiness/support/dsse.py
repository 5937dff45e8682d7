"""DSSE envelopes signed with Ed25519: the signing and checking of verdicts.

The envelope is the standard one (https://github.com/secure-systems-lab/dsse): the
signature covers ``PAE(payloadType, payload)``, never re-serialised JSON, so any DSSE
verifier (securesystemslib, in-toto, sigstore's tools) checks what this module signs. A key
id is the sha256 of the raw 32-byte public key, so anyone holding the public key can tell
which key a verdict names without asking this project."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"


class SignatureProblem(Exception):
    """An envelope that does not verify: the message says which check failed."""


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE's pre-authentication encoding: what the signature is over."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def public_pem(public: Ed25519PublicKey) -> str:
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


@dataclass(frozen=True)
class SigningKey:
    """An Ed25519 private key and its id. ``repr`` never shows the key."""

    private: Ed25519PrivateKey = field(repr=False)

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    @property
    def keyid(self) -> str:
        return key_id(self.public)

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_pem(cls, text: str | bytes) -> SigningKey:
        """A PKCS#8 PEM private key; ``ValueError`` for anything else (never echoing it)."""
        data = text.encode() if isinstance(text, str) else text
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError) as exc:
            raise ValueError("expected an unencrypted PKCS#8 PEM Ed25519 private key") from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"expected an Ed25519 private key, got {type(key).__name__}")
        return cls(key)

    def private_pem(self) -> bytes:
        return self.private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def sign(self, payload: bytes, payload_type: str = IN_TOTO_PAYLOAD_TYPE) -> dict[str, Any]:
        """A DSSE envelope of ``payload`` with one signature by this key."""
        signature = self.private.sign(pae(payload_type, payload))
        return {
            "payloadType": payload_type,
            "payload": base64.b64encode(payload).decode(),
            "signatures": [{"keyid": self.keyid, "sig": base64.b64encode(signature).decode()}],
        }


def envelope_payload(envelope: Mapping[str, Any]) -> bytes:
    """The payload bytes of an envelope, unchecked (``SignatureProblem`` if unreadable)."""
    try:
        return base64.b64decode(envelope["payload"], validate=True)
    except (KeyError, TypeError, ValueError) as exc:
        raise SignatureProblem("the envelope has no base64 payload") from exc


@dataclass
class Keyring:
    """The public keys verdicts may be signed with, by key id: the current key and every
    retired one, so a rotation never orphans an old verdict."""

    keys: dict[str, Ed25519PublicKey] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Keyring:
        """``{"keys": [{"keyid": …, "public_key": "<PEM>"}, …]}``; each id is checked
        against its key, so a keyring cannot name a key by someone else's id."""
        ring = cls()
        for entry in data.get("keys", []):
            public = serialization.load_pem_public_key(str(entry["public_key"]).encode())
            if not isinstance(public, Ed25519PublicKey):
                raise ValueError(f"key {entry.get('keyid')!r}: expected an Ed25519 public key")
            if entry.get("keyid") and entry["keyid"] != key_id(public):
                raise ValueError(f"key {entry['keyid']!r}: its id is not its key's sha256")
            ring.add(public)
        return ring

    @classmethod
    def load(cls, path: Path) -> Keyring:
        if not path.exists():
            return cls()
        return cls.from_json(json.loads(path.read_text()))

    def as_json(self) -> dict[str, Any]:
        return {
            "keys": [
                {"keyid": kid, "algorithm": "ed25519", "public_key": public_pem(pub)}
                for kid, pub in sorted(self.keys.items())
            ]
        }

    def add(self, public: Ed25519PublicKey) -> str:
        kid = key_id(public)
        self.keys[kid] = public
        return kid

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(self.as_json(), indent=2) + "\n")
        os.replace(tmp, path)

    def verify(self, envelope: Mapping[str, Any]) -> tuple[bytes, str]:
        """(payload, key id) of an envelope one of the ring's keys signed; otherwise
        ``SignatureProblem`` naming the key id, or that the signature is wrong."""
        payload = envelope_payload(envelope)
        payload_type = str(envelope.get("payloadType", ""))
        signatures = envelope.get("signatures") or []
        if not signatures:
            raise SignatureProblem("the envelope carries no signature")
        unknown: list[str] = []
        for entry in signatures:
            kid = str(entry.get("keyid", ""))
            public = self.keys.get(kid)
            if public is None:
                unknown.append(kid)
                continue
            try:
                public.verify(base64.b64decode(entry.get("sig", "")), pae(payload_type, payload))
            except (InvalidSignature, ValueError) as exc:
                raise SignatureProblem(
                    f"the signature by key {kid[:16]} does not match the payload"
                ) from exc
            return payload, kid
        raise SignatureProblem(
            f"signed by key {', '.join(k[:16] or '(none)' for k in unknown)}, "
            "which is not in the keyring"
        )
