"""The hub's own sink: ``sink://`` deliveries answered in-process, with no network.

What each URL means is ``hub.domain.sink_urls``; the answer goes through the same outcome,
policy and delivery log as a receiver's.
"""

from __future__ import annotations

import time

from hub.delivery import policy
from hub.delivery.responses import parse_retry_after
from hub.domain.sink_urls import parse_sink_url

#: The body the sink answers with (the delivery log keeps it as the response snippet).
SNIPPET = "answered by the Evenly sandbox sink"


def sink_answer(url: str) -> tuple[int, str, float | None]:
    """The status, body and heeded ``Retry-After`` seconds the sink answers ``url`` with;
    ``TimeoutError`` for ``sink://timeout``."""
    answer = parse_sink_url(url)
    if answer.status is None:
        raise TimeoutError("sink://timeout")
    retry_after = None
    if answer.retry_after_seconds is not None and policy.heeds_retry_after(answer.status):
        retry_after = parse_retry_after(str(answer.retry_after_seconds), time.time())
    return answer.status, SNIPPET, retry_after
