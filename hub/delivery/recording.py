"""Writing what deliveries gave back to the queue and the delivery log.

Outcomes are written in batches, one transaction each. When a batch fails, its outcomes are
written one by one, and one that still fails is written without its response snippet and
error text: so one bad row never fails, loses or repeats another endpoint's deliveries.
Only messages the worker still holds are updated (``hub.store.delivery_queue``). With the
outcomes, endpoints the policy says to disable are disabled (``hub.delivery.policy``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import replace

from hub.delivery import policy
from hub.store.delivery_queue import Outcome, Record
from hub.store.unit_of_work import Store, UnitOfWork

log = logging.getLogger("hub.delivery")

#: What the delivery log says when an attempt's own text could not be stored.
UNRECORDABLE = "the response could not be recorded"


async def record(
    store: Store, records: Sequence[Record], *, now: dt.datetime, disable_after: dt.timedelta
) -> list[Record]:
    """Write ``records``; returns those that could not be written (the database is down)."""
    if await _written(store, records, now, disable_after):
        return []
    unwritten: list[Record] = []
    for item in records:
        if len(records) > 1 and await _written(store, [item], now, disable_after):
            continue
        if isinstance(item, Outcome) and (item.snippet is not None or item.error is not None):
            bare = replace(item, snippet=None, error=UNRECORDABLE)
            if await _written(store, [bare], now, disable_after):
                continue
        unwritten.append(item)
    return unwritten


async def _written(
    store: Store,
    records: Sequence[Record],
    now: dt.datetime,
    disable_after: dt.timedelta,
) -> bool:
    try:
        async with store.transaction() as uow:
            outcomes = await uow.delivery_queue.write(records)
            await _disable_where_due(uow, outcomes, now, disable_after)
    except Exception:
        log.exception("recording %d webhook outcome(s) failed", len(records))
        return False
    return True


async def _disable_where_due(
    uow: UnitOfWork, outcomes: Sequence[Outcome], now: dt.datetime, window: dt.timedelta
) -> None:
    """Disable the endpoints of these outcomes that the policy says to: those that answered
    410, and those whose deliveries all failed for ``window``."""
    gone = {o.delivery.endpoint_id for o in outcomes if o.gone}
    failed = {o.delivery.endpoint_id for o in outcomes if o.status == "FAILED"} - gone
    for endpoint_id in sorted(gone) + sorted(failed):
        since = None if endpoint_id in gone else await uow.delivery_queue.failing_since(endpoint_id)
        reason = policy.disable_reason(
            gone=endpoint_id in gone, failing_since=since, now=now, window=window
        )
        if reason is not None:
            await uow.endpoints.disable(endpoint_id, reason, now)
