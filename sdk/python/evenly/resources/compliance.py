"""``client.compliance``: may a debtor be contacted now, what allowed each past contact, the
rule packs the hub holds, and a customer's consent per channel."""

from __future__ import annotations

import datetime as dt

from evenly._base_client import Call, new_idempotency_key
from evenly._compliance_models import (
    ComplianceReportEntry,
    ConsentResult,
    ContactPermission,
    RulePack,
)
from evenly._models import ContactChannel
from evenly._operations import (
    COMPLIANCE_REPORT,
    CONTACT_PERMISSION,
    RULE_PACKS,
    SET_CHANNEL_CONSENT,
)
from evenly.resources._resource import AsyncResource, SyncResource, instant, payload

__all__ = ["AsyncCompliance", "Compliance"]

Channel = ContactChannel | str


def _permission(
    account_id: str, channel: Channel, at: dt.datetime | str | None
) -> Call[ContactPermission]:
    variables = {"accountId": account_id, "channel": str(channel), "at": instant(at)}
    return Call(
        CONTACT_PERMISSION,
        variables,
        lambda data, _: ContactPermission.model_validate(data["contactPermission"]),
    )


def _report(account_id: str) -> Call[list[ComplianceReportEntry]]:
    return Call(
        COMPLIANCE_REPORT,
        {"accountId": account_id},
        lambda data, _: [ComplianceReportEntry.model_validate(e) for e in data["complianceReport"]],
    )


def _rule_packs(jurisdiction: str | None) -> Call[list[RulePack]]:
    return Call(
        RULE_PACKS,
        {"jurisdiction": jurisdiction},
        lambda data, _: [RulePack.model_validate(p) for p in data["rulePacks"]],
    )


def _consent(
    customer_id: str, channel: Channel, granted: bool, key: str | None
) -> Call[ConsentResult]:
    check = payload("setChannelConsent")
    variables = {
        "input": {
            "customerId": customer_id,
            "channel": str(channel),
            "granted": granted,
            "idempotencyKey": key or new_idempotency_key(),
        }
    }
    return Call(
        SET_CHANNEL_CONSENT,
        variables,
        lambda data, rid: ConsentResult.model_validate(check(data, rid)),
    )


class Compliance(SyncResource):
    """The contact rules as they apply to your accounts: ``client.compliance``."""

    def contact_permission(
        self, account_id: str, *, channel: Channel, at: dt.datetime | str | None = None
    ) -> ContactPermission:
        """May this account's debtor be contacted on ``channel`` at ``at`` (default: now)?"""
        return self._client.execute(_permission(account_id, channel, at))

    def report(self, account_id: str) -> list[ComplianceReportEntry]:
        """Every contact of the account, oldest first, with the pack version that allowed it."""
        return self._client.execute(_report(account_id))

    def rule_packs(self, *, jurisdiction: str | None = None) -> list[RulePack]:
        """Every rule pack the hub holds (or one jurisdiction's), by version."""
        return self._client.execute(_rule_packs(jurisdiction))

    def set_channel_consent(
        self,
        customer_id: str,
        *,
        channel: Channel,
        granted: bool,
        idempotency_key: str | None = None,
    ) -> ConsentResult:
        """Record that the customer accepts (``granted=True``) or refuses a channel."""
        return self._client.execute(_consent(customer_id, channel, granted, idempotency_key))


class AsyncCompliance(AsyncResource):
    """``client.compliance`` of ``AsyncEvenly``: the same methods, awaited."""

    async def contact_permission(
        self, account_id: str, *, channel: Channel, at: dt.datetime | str | None = None
    ) -> ContactPermission:
        """May this account's debtor be contacted on ``channel`` at ``at`` (default: now)?"""
        return await self._client.execute(_permission(account_id, channel, at))

    async def report(self, account_id: str) -> list[ComplianceReportEntry]:
        """Every contact of the account, oldest first, with the pack version that allowed it."""
        return await self._client.execute(_report(account_id))

    async def rule_packs(self, *, jurisdiction: str | None = None) -> list[RulePack]:
        """Every rule pack the hub holds (or one jurisdiction's), by version."""
        return await self._client.execute(_rule_packs(jurisdiction))

    async def set_channel_consent(
        self,
        customer_id: str,
        *,
        channel: Channel,
        granted: bool,
        idempotency_key: str | None = None,
    ) -> ConsentResult:
        """Record that the customer accepts (``granted=True``) or refuses a channel."""
        return await self._client.execute(_consent(customer_id, channel, granted, idempotency_key))
