"""PostgreSQL: which committed events the feed may hand out yet, and how many wait.

The feed is ordered by (txid, position), ``txid`` being the id of the transaction that
wrote the event. A reader that resumes after the last key it saw must never skip an event
that commits late, so it only takes events below a *horizon*: a txid that every event
still to commit is at or above. Only the hub writes events, so only the hub's own
transactions need to hold the horizon back; a transaction of another program (an
analytics query, a migration of another application, a session in another database of
the cluster) does not.

The hub's transactions announce themselves: every connection of the hub takes the shared
advisory lock ``HUB_WRITER_LOCK`` when it connects (``hub.store.database``) and keeps it
as long as it lives, so the lock is held before any transaction on that connection has an
id; no statement order inside a transaction matters, and announcing costs no round trip.
(The hub's transactions that write no events, such as the delivery worker's claims, hold
readers back as well, for the few milliseconds they last.) In one statement, after the
statement's snapshot S was taken, a reader computes

    horizon = least(xmax of S,
                    every xid in progress in S, except those that one read of the lock
                    table shows held by a backend without HUB_WRITER_LOCK in this
                    database, or by a prepared transaction)

and takes the visible events with ``txid < horizon``. An xid is excepted only if the lock
table shows it, as the ``transactionid`` lock its transaction holds from just after the
id is assigned until just after it ends.

Why no event that commits late is skipped: let T write an event invisible to S that
commits later, with xid x. Either x >= xmax of S (as every id assigned after S is), so
x >= horizon; or x was in progress in S. T ran on a hub connection, so its backend has held
the advisory lock since before x existed. At the lock read (after S) T either still holds
x's lock, on a backend holding the advisory lock, or has released it: either way x is
not excepted, and horizon <= x. Every event the reader takes has a txid below the horizon,
so it sorts before T's events, and a reader resuming after it finds them. Conversely every
xid below the horizon had ended when S was taken or belongs to another program, so every
event below it that will ever be readable is visible in S already.

The lock table is read once per statement (a materialized CTE; ``pg_lock_status`` copies
the shared lock table under all its partition locks, so the transactionid and advisory
locks it shows are of one moment). It is only read at all when S has transactions in
progress, and the feed only asks for the horizon for events at or above the snapshot's
``xmin`` (every event below it is readable anyway).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

#: The shared advisory lock (two int4 keys: "EVNL", 1) that marks a backend as the hub's.
HUB_WRITER_LOCK = (0x45564E4C, 1)

#: Taken by every connection of the hub when it connects; a session lock, so it is held
#: before any transaction of that connection has an id, and for as long as it lives.
ANNOUNCE = f"SELECT pg_advisory_lock_shared({HUB_WRITER_LOCK[0]}, {HUB_WRITER_LOCK[1]})"


def _hub_backends(locks: str) -> str:
    """SQL: the pids of the backends holding the hub's lock in this database, among the
    rows of ``locks`` (``pg_locks`` or a copy of it)."""
    return f"""
        SELECT w.pid FROM {locks} AS w
        WHERE w.locktype = 'advisory' AND w.granted
          AND w.classid = {HUB_WRITER_LOCK[0]} AND w.objid = {HUB_WRITER_LOCK[1]}
          AND w.objsubid = 2
          AND w.database = (SELECT oid FROM pg_database WHERE datname = current_database())
    """


_HORIZON = f"""
    WITH locks AS MATERIALIZED (
        SELECT locktype, database, classid, objid, objsubid, transactionid, pid, mode,
               granted
        FROM pg_locks
    ),
    foreign_xids AS (
        -- Transactions running on a backend that is not one of the hub (or, prepared,
        -- on none): they never write events.
        SELECT t.transactionid FROM locks AS t
        WHERE t.locktype = 'transactionid' AND t.mode = 'ExclusiveLock' AND t.granted
          AND NOT EXISTS (SELECT 1 FROM ({_hub_backends("locks")}) AS hub
                          WHERE hub.pid = t.pid)
    )
    SELECT least(CAST(CAST(pg_snapshot_xmax(pg_current_snapshot()) AS text) AS bigint),
                 min(CAST(CAST(x AS text) AS bigint))) AS horizon
    FROM pg_snapshot_xip(pg_current_snapshot()) AS x
    WHERE CAST(x AS xid) NOT IN (SELECT transactionid FROM foreign_xids)
"""


def horizon() -> Any:
    """The reading statement's horizon (see the module's docstring), as a scalar subquery:
    PostgreSQL runs it at most once per statement, and only if it is needed."""
    return sa.text(_HORIZON).columns(sa.column("horizon", sa.BigInteger)).scalar_subquery()


def oldest_open_txid() -> Any:
    """The snapshot's ``xmin``: the oldest transaction still open in the whole cluster, a
    lower bound of the horizon that costs nothing to read."""
    xmin = sa.func.pg_snapshot_xmin(sa.func.pg_current_snapshot())
    return sa.cast(sa.cast(xmin, sa.Text), sa.BigInteger)


def readable(txid: Any) -> Any:
    """True for an event the feed may hand out: below the horizon (read only for events
    at or above the cluster's oldest open transaction)."""
    return sa.case((txid < oldest_open_txid(), sa.true()), else_=txid < horizon())


#: The committed events at or above the horizon, counted per audience organization (every
#: event has one in ``creditor_id``) so each count is a range of the feed's index; and the
#: age of the oldest open transaction of the hub that has an id (one that holds readers
#: back), 0 when there is none.
_BACKLOG = f"""
    SELECT
        (SELECT coalesce(sum(waiting.n), 0)
         FROM organizations AS o,
              LATERAL (SELECT count(*) AS n FROM events AS e
                       WHERE e.creditor_id = o.id AND e.txid >= ({_HORIZON})) AS waiting)
            AS waiting,
        (SELECT coalesce(extract(epoch FROM now() - min(a.xact_start)), 0)
         FROM pg_stat_activity AS a
         WHERE a.backend_xid IS NOT NULL
           AND a.pid IN ({_hub_backends("pg_locks")}))
            AS oldest_writer_seconds
"""


def backlog() -> sa.TextClause:
    """One row: ``waiting`` (committed events not readable yet) and
    ``oldest_writer_seconds`` (how long the oldest open hub transaction has run)."""
    return sa.text(_BACKLOG)


@dataclass(frozen=True)
class FeedBacklog:
    """What the feed holds back right now (on SQLite, never anything)."""

    #: Committed events that are not readable yet: they wait for an older transaction.
    waiting: int = 0
    #: How long the oldest open transaction of the hub (one with an id) has run, 0 if none.
    oldest_writer_seconds: float = 0.0
