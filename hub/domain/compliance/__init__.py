"""The compliance engine: may this debtor be contacted on this channel now, and if not, when?

Pure functions of a rule pack (one jurisdiction's rules as data, ``hub/compliance/packs``),
the account's contact history and state, the debtor's candidate time zones and the moment::

    history = ContactHistory(records)              # once per account
    context = ContactContext(country="US", placed_at=..., history=history,
                             timezones=debtor_timezones(tz, phone, pack.timezones),
                             opted_out=frozenset({Channel.EMAIL}))
    decision = evaluate(pack, context, Channel.CALL, at)
    decision.allowed, decision.reasons, decision.next_allowed_at, decision.pack

Reading pack files, validating them against the schema and choosing the pack in force is
``hub.compliance`` (the registry); this package does no I/O.
"""

from hub.domain.compliance._evaluate import evaluate
from hub.domain.compliance._history import ContactHistory, ContactRecord
from hub.domain.compliance._model import (
    CONVERSATION_OUTCOMES,
    Channel,
    ContactContext,
    Decision,
    Direction,
    Hold,
    HoldReason,
    Outcome,
    PackRef,
    Refusal,
)
from hub.domain.compliance._pack import InvalidRulePack, RuleInfo, RulePack, Source
from hub.domain.compliance._timezones import debtor_timezones

__all__ = [
    "CONVERSATION_OUTCOMES",
    "Channel",
    "ContactContext",
    "ContactHistory",
    "ContactRecord",
    "Decision",
    "Direction",
    "Hold",
    "HoldReason",
    "InvalidRulePack",
    "Outcome",
    "PackRef",
    "Refusal",
    "RuleInfo",
    "RulePack",
    "Source",
    "debtor_timezones",
    "evaluate",
]
