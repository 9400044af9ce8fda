"""`rxsim record`: a running stack's issuances, as a trace to replay."""

from pathlib import Path
from typing import Any

from rxsim.messaging.codec import Undecodable, decode
from rxsim.tools import trace_file
from rxsim.tools.topic_reader import read
from schemas import topics


def record_issued(bootstrap: str, out: Path) -> tuple[int, float]:
    """Every prescription on rx.issued, in the order it was issued (partitions interleaved
    by the envelopes' times); how many, and the seconds from the first to the last."""
    issued: list[tuple[float, dict[str, Any]]] = []
    for record in read(bootstrap, [topics.RX_ISSUED.name]):
        try:
            envelope, _ = decode(topics.RX_ISSUED, record.value, record.headers)
        except Undecodable:
            continue  # dead-lettered by the coordinator: not an issuance
        issued.append((envelope.time.timestamp(), dict(envelope.data)))
    if not issued:
        return 0, 0.0
    issued.sort(key=lambda pair: pair[0])
    first = issued[0][0]
    span = issued[-1][0] - first
    header = trace_file.Header(
        "recorded", f"rx.issued of the stack at {bootstrap}", len(issued), round(span, 6)
    )
    written = trace_file.write(out, header, ((at - first, b) for at, b in issued))
    return written, span
