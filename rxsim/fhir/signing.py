"""Signed prescriptions: the issuing facility signs the Bundle; the coordinator verifies it
against the registry of facility keys before it trusts a word of it.

The signature travels in the envelope's `signature` as a JWS in compact serialisation with a
detached payload (RFC 7515, appendix F): `HEADER..SIGNATURE`, where the payload left out is
the JCS canonical form of the Bundle (`canonical.canonical`, RFC 8785). The protected header
is `{"alg": "EdDSA", "facility": <facility code>, "kid": <key id>}` (Ed25519, RFC 8037), so
the facility and the key are signed too; a signer that validated the Bundle adds
`"validated": "FHIR R4B"`, which spares the coordinator a second validation when the key is
rxsim's own (`trusts_validation`). The key id is the key's JWK thumbprint (RFC 7638),
which anyone holding the public key computes alike. Any JOSE library verifies it once given
the canonical Bundle as payload.

A simulated facility's key pair is derived from the scenario's seed and the facility code, so
every process of a stack (and every tool sending as a hospital) agrees without sharing a file.
Anyone knowing the seed can derive them: they authenticate nothing outside the simulation. An
external hospital system keeps its own private key and registers its public key
(`[security.public_keys]` of the scenario).

The coordinator signs what it sends a pharmacy (an order, the request to cancel one) the same
way, over the event's `data`, as the signer `coordinator` (in the header's `facility`): a
pharmacy is sent only what dispensing needs, not the Bundle its hospital signed, so it
checks the coordinator's signature instead (`coordinator_keys`)."""

import base64
import binascii
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from rxsim.domain import fhirpath
from rxsim.domain.prescription import Issue
from rxsim.domain.reasons import Reason
from rxsim.fhir.canonical import canonical
from rxsim.fhir.parse import facility_code

ALG = "EdDSA"
# What a signer that validated the Bundle against FHIR R4B puts in the protected header.
VALIDATED = "FHIR R4B"
WHERE = "envelope.signature"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def key_id(public_key: Ed25519PublicKey) -> str:
    """The key's JWK thumbprint (RFC 7638): SHA-256 over its required members in order."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    jwk = orjson.dumps({"crv": "Ed25519", "kty": "OKP", "x": b64url(raw)})
    return b64url(hashlib.sha256(jwk).digest())


def simulated_key(seed: int, facility: str) -> Ed25519PrivateKey:
    """A simulated facility's private key: 32 bytes derived from the scenario's seed and the
    facility code (no randomness, so that every process derives the same)."""
    material = f"rxsim simulated facility key\x00{seed}\x00{facility}".encode()
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(material).digest())


def public_key_from_pem(pem: str | bytes) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM (`openssl pkey -pubout`); ValueError if it is not one."""
    data = pem.encode() if isinstance(pem, str) else pem
    key = serialization.load_pem_public_key(data)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def private_key_from_pem(pem: bytes) -> Ed25519PrivateKey:
    """An Ed25519 private key from unencrypted PKCS#8 PEM (`openssl genpkey -algorithm ed25519`)."""
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("not an Ed25519 private key")
    return key


@dataclass(frozen=True)
class Signer:
    """A facility's signing key with its protected header, encoded once. `validated`: the
    signer validated every Bundle it signs against FHIR R4B (or built it with rxsim's own
    builder, whose Bundles the tests validate), and says so in the header (see
    `trusts_validation`)."""

    facility: str
    key: Ed25519PrivateKey
    validated: bool = False
    kid: str = field(init=False)
    header: bytes = field(init=False)

    def __post_init__(self) -> None:
        kid = key_id(self.key.public_key())
        header = {"alg": ALG, "facility": self.facility, "kid": kid}
        if self.validated:
            header["validated"] = VALIDATED
        object.__setattr__(self, "kid", kid)
        object.__setattr__(self, "header", b64url(orjson.dumps(header)).encode())

    def sign(self, bundle: dict[str, Any]) -> str:
        """The detached JWS of `bundle` (raises ValueError for what is not JSON)."""
        signing_input = self.header + b"." + b64url(canonical(bundle)).encode()
        return f"{self.header.decode()}..{b64url(self.key.sign(signing_input))}"


@lru_cache(maxsize=4096)
def simulated_signer(seed: int, facility: str, validated: bool = False) -> Signer:
    return Signer(facility, simulated_key(seed, facility), validated)


def simulated_signature(bundle: dict[str, Any], seed: int, *, validated: bool) -> str | None:
    """The signature a simulated hospital puts on `bundle`: its issuing facility's key of the
    scenario `seed`, saying whether the caller validated the Bundle (or built it with rxsim's
    builder). None for a Bundle that names no facility (nothing can sign for it). Every
    sender of rx.issued that plays a hospital signs through this."""
    facility = facility_code(bundle)
    if facility is None:
        return None
    try:
        return simulated_signer(seed, facility, validated).sign(bundle)
    except ValueError:
        return None  # not JSON a signature can cover: sent unsigned, and refused so


# Who signs the orders and their cancellations (the protected header's `facility`); no
# facility code is a word, so a hospital's key can never pass for the coordinator's.
COORDINATOR = "coordinator"


def coordinator_signer(seed: int) -> Signer:
    """The simulated coordinator's key of the scenario `seed`."""
    return simulated_signer(seed, COORDINATOR)


@lru_cache(maxsize=4096)
def _simulated_public(seed: int, facility: str) -> tuple[str, Ed25519PublicKey]:
    signer = simulated_signer(seed, facility)
    return signer.kid, signer.key.public_key()


@dataclass(frozen=True)
class FacilityKeys:
    """The registry of facility public keys: the simulated key of every facility of the
    scenario's country (derived when first asked for), and the keys registered by external
    systems, by facility code then key id."""

    seed: int
    simulated: frozenset[str] = frozenset()
    registered: Mapping[str, Mapping[str, Ed25519PublicKey]] = field(default_factory=dict)

    def knows(self, facility: str) -> bool:
        return facility in self.simulated or facility in self.registered

    def key(self, facility: str, kid: str) -> Ed25519PublicKey | None:
        found = self.registered.get(facility, {}).get(kid)
        if found is None and facility in self.simulated:
            simulated_kid, public = _simulated_public(self.seed, facility)
            found = public if kid == simulated_kid else None
        return found

    @staticmethod
    def of(
        seed: int, simulated: frozenset[str], pems: Mapping[str, str | list[str]]
    ) -> "FacilityKeys":
        """The registry of a scenario: its facilities, and the PEM keys it registers."""
        registered: dict[str, dict[str, Ed25519PublicKey]] = {}
        for facility, given in pems.items():
            for pem in [given] if isinstance(given, str) else given:
                public = public_key_from_pem(pem)
                registered.setdefault(facility, {})[key_id(public)] = public
        return FacilityKeys(seed, simulated, registered)


def coordinator_keys(seed: int) -> FacilityKeys:
    """What a pharmacy trusts to sign its orders: the coordinator's simulated key alone."""
    return FacilityKeys(seed, frozenset({COORDINATOR}))


@lru_cache(maxsize=4096)
def _validated_by(header_part: str) -> tuple[str, str] | None:
    """(facility, key id) of a protected header that claims the Bundle was validated; None
    when it does not, or is no header at all. Cached: a facility's header is the same on
    every prescription it signs."""
    try:
        header = orjson.loads(_unb64url(header_part))
    except (binascii.Error, ValueError):
        return None
    if not isinstance(header, dict) or header.get("validated") != VALIDATED:
        return None
    return str(header.get("facility")), str(header.get("kid"))


def trusts_validation(signature: str | None, keys: FacilityKeys) -> bool:
    """Whether a signature says its Bundle was validated at rxsim's own hospital edge: it
    claims so, with the simulated key of one of the scenario's facilities, which only rxsim's
    hospital (and the tools that play it) holds. The claim is believed before the signature
    is checked, so `verify` must still run: a forged claim is refused there. A system signing
    with its own registered key is validated in full whatever it claims."""
    if not signature:
        return False
    claim = _validated_by(signature.partition(".")[0])
    if claim is None:
        return False
    facility, kid = claim
    return facility in keys.simulated and kid == _simulated_public(keys.seed, facility)[0]


def _issue(code: Reason, message: str, where: str = WHERE) -> Issue:
    return Issue(where, code, message, "security")


def verify(
    bundle: dict[str, Any],
    signature: str | None,
    keys: FacilityKeys,
    issuer: str,
    what: str = "prescription",
) -> Issue | None:
    """Why the signature does not show that facility `issuer` sent `bundle` unchanged, or None
    when it does. Tampering (a drug, quantity, patient or prescriber changed after signing) and
    a signature made with another key look alike: both are SIGNATURE_INVALID. `what`: what
    the messages call `bundle` (a prescription, an order)."""
    if not signature:
        return _issue(Reason.SIGNATURE_MISSING, f"the {what} is not signed")
    header_part, _, rest = signature.partition(".")
    payload_part, _, signature_part = rest.partition(".")
    try:
        header = orjson.loads(_unb64url(header_part))
        raw_signature = _unb64url(signature_part)
    except (binascii.Error, ValueError):
        header, raw_signature = None, b""
    if payload_part or not isinstance(header, dict) or header.get("alg") != ALG:
        return _issue(Reason.SIGNATURE_MALFORMED, f"not a detached JWS with alg {ALG}")
    facility, kid = str(header.get("facility")), str(header.get("kid"))
    if facility != issuer:
        return _issue(
            Reason.SIGNATURE_FACILITY_MISMATCH,
            f"signed by facility {facility!r}, issued by facility {issuer!r}",
        )
    if not keys.knows(facility):
        # Named as the national rule names it: the facility is the element at fault.
        return _issue(
            Reason.UNKNOWN_FACILITY,
            f"Cơ sở khám chữa bệnh {facility} không có trong danh mục và chưa đăng ký khóa "
            "công khai (unknown facility code, and no public key registered for it)",
            f"{fhirpath.every('Organization')}.identifier",
        )
    public = keys.key(facility, kid)
    if public is None:
        return _issue(
            Reason.SIGNATURE_UNKNOWN_KEY, f"facility {facility!r} has no registered key {kid!r}"
        )
    try:
        signing_input = header_part.encode() + b"." + b64url(canonical(bundle)).encode()
        public.verify(raw_signature, signing_input)
    except (InvalidSignature, ValueError):
        return _issue(
            Reason.SIGNATURE_INVALID,
            f"the signature does not match the {what}: changed after signing, "
            "or signed with another key",
        )
    return None
