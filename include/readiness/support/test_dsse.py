"""DSSE envelopes with Ed25519: what one key signs, the keyring checks, and an independent
DSSE implementation (securesystemslib, the library in-toto's tools use) accepts."""

from __future__ import annotations

import base64
import json

import pytest

from readiness.support.dsse import IN_TOTO_PAYLOAD_TYPE, Keyring, SignatureProblem, SigningKey, pae


def test_pae_is_the_dsse_encoding() -> None:
    # the DSSE specification's own example
    assert pae("http://example.com/HelloWorld", b"hello world") == (
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )


def test_a_keyring_verifies_what_its_key_signed_and_names_what_breaks() -> None:
    key, other = SigningKey.generate(), SigningKey.generate()
    ring = Keyring()
    ring.add(key.public)
    envelope = key.sign(b'{"a":1}')
    assert ring.verify(envelope) == (b'{"a":1}', key.keyid)

    edited = {**envelope, "payload": base64.b64encode(b'{"a":2}').decode()}
    with pytest.raises(SignatureProblem, match="does not match the payload"):
        ring.verify(edited)
    with pytest.raises(SignatureProblem, match=f"key {other.keyid[:16]}.*not in the keyring"):
        ring.verify(other.sign(b'{"a":1}'))
    retyped = {**envelope, "payloadType": "text/plain"}  # the type is signed too
    with pytest.raises(SignatureProblem):
        ring.verify(retyped)
    with pytest.raises(SignatureProblem, match="no signature"):
        ring.verify({**envelope, "signatures": []})


def test_a_keyring_round_trips_and_refuses_a_key_under_another_id(tmp_path) -> None:
    key = SigningKey.generate()
    ring = Keyring()
    ring.add(key.public)
    ring.save(tmp_path / "ring.json")
    again = Keyring.load(tmp_path / "ring.json")
    assert set(again.keys) == {key.keyid}
    data = json.loads((tmp_path / "ring.json").read_text())
    data["keys"][0]["keyid"] = SigningKey.generate().keyid
    with pytest.raises(ValueError, match="its id is not its key's sha256"):
        Keyring.from_json(data)


def test_a_private_key_never_shows_and_a_bad_one_is_refused_without_echo() -> None:
    key = SigningKey.generate()
    assert "PRIVATE" not in repr(key)
    assert SigningKey.from_pem(key.private_pem()).keyid == key.keyid
    with pytest.raises(ValueError, match="expected an unencrypted") as refused:
        SigningKey.from_pem("-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----")
    assert "c2VjcmV0" not in str(refused.value)


def test_securesystemslib_verifies_our_envelope_with_the_public_key_alone() -> None:
    """The offline recipe of docs/audit.md: a standard DSSE verifier, not this project."""
    from cryptography.hazmat.primitives import serialization
    from securesystemslib.dsse import Envelope
    from securesystemslib.signer import SSlibKey

    key = SigningKey.generate()
    envelope = key.sign(b'{"_type":"https://in-toto.io/Statement/v1"}')
    public = serialization.load_pem_public_key(
        key.public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    verifier = SSlibKey.from_crypto(public, keyid=key.keyid)
    parsed = Envelope.from_dict(envelope)
    assert parsed.payload_type == IN_TOTO_PAYLOAD_TYPE
    assert key.keyid in parsed.verify([verifier], 1)
    parsed.payload = b'{"_type":"edited"}'
    from securesystemslib.exceptions import VerificationError

    with pytest.raises(VerificationError):
        parsed.verify([verifier], 1)
