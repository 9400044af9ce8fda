"""Property tests of the edges: whatever arrives, parsing a Bundle either gives a prescription
or says what is wrong (InvalidPrescription), and decoding a message either gives an envelope
or says why not (Undecodable). Never any other exception, which would be a 500 or a dead
letter marked as a handler error."""

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rxsim import fhir
from rxsim.domain.prescription import Prescription
from rxsim.messaging import codec
from rxsim.tools.mutation import json_paths
from schemas import topics
from tests.support import factories as make

BUNDLES = [make.bundle(seed=1), make.bundle(type_letter="N", seed=2)]
JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["Bundle", "Patient", "MedicationRequest", "Foo", "", "active"])
)
JSON = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
PROPERTY = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def mutated_bundles(draw: st.DrawFn) -> Any:
    """A valid Bundle with one to three of its values replaced by any JSON, or removed."""
    payload = copy.deepcopy(draw(st.sampled_from(BUNDLES)))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(json_paths(payload)))
        if not path:
            return draw(JSON)
        parent: Any = payload
        for step in path[:-1]:
            parent = parent[step]
        if isinstance(parent, dict) and draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(JSON)
    return payload


@PROPERTY
@given(mutated_bundles())
def test_parsing_any_mutated_bundle_gives_a_prescription_or_the_reasons(payload: Any) -> None:
    try:
        result = fhir.parse_prescription(payload)
    except fhir.InvalidPrescription as exc:
        assert exc.issues, "a refusal names at least one problem"
    else:
        assert isinstance(result, Prescription)


@PROPERTY
@given(st.sampled_from(topics.ALL_TOPICS), st.binary(max_size=2048))
def test_decoding_any_bytes_gives_an_envelope_or_the_reason(
    topic: topics.Topic, raw: bytes
) -> None:
    try:
        codec.decode(topic, raw)
    except codec.Undecodable as exc:
        assert exc.reason


@PROPERTY
@given(st.sampled_from(topics.ALL_TOPICS), JSON)
def test_decoding_any_json_gives_an_envelope_or_the_reason(topic: topics.Topic, value: Any) -> None:
    event = codec.new_event(topic, source="rxsim/test", subject="x", data={})
    for raw in (codec.encode(value), codec.encode({**event, "data": value})):
        try:
            codec.decode(topic, raw)
        except codec.Undecodable as exc:
            assert exc.reason
