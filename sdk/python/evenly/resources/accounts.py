"""``client.accounts``: place, read, list, recall and adjust accounts."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from evenly._base_client import Call, new_idempotency_key
from evenly._exceptions import EvenlyError, NotFoundError
from evenly._models import Account, AccountStatus, Money, NewAccount, NewCustomer, Placement
from evenly._operations import (
    ACCOUNT_BY_ID,
    ACCOUNTS,
    ADJUST_BALANCE,
    PLACE_ACCOUNT,
    RECALL_ACCOUNT,
)
from evenly._pagination import (
    MAX_PAGE_SIZE,
    AsyncPaginator,
    Page,
    SyncPaginator,
    connection,
)
from evenly._placement import (
    DEFAULT_CONCURRENCY,
    MAX_BATCH_SIZE,
    AccountLike,
    PlacementReport,
    PlacementRun,
    ProgressCallback,
    ResultCallback,
    _Batch,
    _ItemOutcome,
    batch_call,
    batches,
    length_hint,
    placement_key,
)
from evenly.resources._resource import (
    AsyncResource,
    MoneyLike,
    SyncResource,
    drop_none,
    payload,
    payload_object,
)

__all__ = ["Accounts", "AsyncAccounts"]


# --- the calls, shared by both services ----------------------------------------------------


def _place_call(
    *,
    reference: str,
    customer: NewCustomer | Mapping[str, Any],
    original_amount: MoneyLike,
    balance: MoneyLike,
    due_date: dt.date | str,
    product: str,
    metadata: Mapping[str, Any] | None,
    idempotency_key: str | None,
    sandbox_tag: str | None = None,
    test_clock_id: str | None = None,
) -> Call[Placement]:
    account = NewAccount.model_validate(
        {
            "reference": reference,
            "customer": customer,
            "original_amount": original_amount,
            "balance": balance,
            "due_date": due_date,
            "product": product,
            "metadata": metadata,
            "idempotency_key": idempotency_key or placement_key(reference),
            "sandbox_tag": sandbox_tag,
            "test_clock_id": test_clock_id,
        }
    )
    read = payload("placeAccount")

    def parse(data: dict[str, Any], request_id: str | None) -> Placement:
        return Placement.model_validate(read(data, request_id))

    return Call(PLACE_ACCOUNT, {"input": account.to_input()}, parse)


def _get_call(account_id: str | None, reference: str | None) -> Call[Account]:
    if (account_id is None) == (reference is None):
        raise ValueError("pass exactly one of an account id or reference=")

    def parse(data: dict[str, Any], request_id: str | None) -> Account:
        if data["account"] is None:
            raise NotFoundError(
                f"no account {account_id or reference!r}", code="NOT_FOUND", request_id=request_id
            )
        return Account.model_validate(data["account"])

    return Call(ACCOUNT_BY_ID, drop_none({"id": account_id, "reference": reference}), parse)


def _list_calls(filter_: dict[str, Any]) -> Any:
    parse = connection(["accounts"], Account)

    def make(after: str | None, first: int) -> Call[Page[Account]]:
        return Call(ACCOUNTS, {"first": first, "after": after, "filter": filter_ or None}, parse)

    return make


def _filter(
    status: AccountStatus | str | Sequence[AccountStatus | str] | None,
    agency_id: str | None,
    country: str | None,
    placed_after: dt.datetime | None,
    placed_before: dt.datetime | None,
    reference: str | None,
) -> dict[str, Any]:
    statuses = [status] if isinstance(status, str) else status
    return drop_none(
        {
            "status": [str(s) for s in statuses] if statuses is not None else None,
            "agencyId": agency_id,
            "country": country,
            "placedAfter": placed_after.isoformat() if placed_after else None,
            "placedBefore": placed_before.isoformat() if placed_before else None,
            "reference": reference,
        }
    )


def _recall_call(account_id: str, reason: str | None, idempotency_key: str | None) -> Call[Account]:
    variables = {
        "input": drop_none(
            {
                "accountId": account_id,
                "reason": reason,
                "idempotencyKey": idempotency_key or new_idempotency_key(),
            }
        )
    }
    return Call(RECALL_ACCOUNT, variables, payload_object("recallAccount", "account", Account))


def _adjust_call(
    account_id: str, amount: MoneyLike, reason: str, idempotency_key: str | None
) -> Call[Account]:
    money = Money.model_validate(amount).model_dump(by_alias=True)
    variables = {
        "input": {
            "accountId": account_id,
            "amount": money,
            "reason": reason,
            "idempotencyKey": idempotency_key or new_idempotency_key(),
        }
    }
    return Call(ADJUST_BALANCE, variables, payload_object("adjustBalance", "account", Account))


def _new_run(
    items: object,
    total: int | None,
    keep_placed: bool,
    on_result: ResultCallback | None,
    progress: bool | ProgressCallback,
    concurrency: int,
) -> PlacementRun:
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    return PlacementRun(
        total=total if total is not None else length_hint(items),
        keep_placed=keep_placed,
        on_result=on_result,
        progress=progress,
    )


# --- sync ---------------------------------------------------------------------------------


class Accounts(SyncResource):
    """Accounts in collection: ``client.accounts``."""

    def place(
        self,
        *,
        reference: str,
        customer: NewCustomer | Mapping[str, Any],
        original_amount: MoneyLike,
        balance: MoneyLike,
        due_date: dt.date | str,
        product: str = "BNPL_INVOICE",
        metadata: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        sandbox_tag: str | None = None,
        test_clock_id: str | None = None,
    ) -> Placement:
        """Place one account. Raises ``UserError`` (e.g. ``DUPLICATE_REFERENCE``) if refused.

        The idempotency key defaults to one derived from ``reference``: placing the same
        account again (a retry, a re-run) returns the first placement with ``replayed``.
        ``sandbox_tag`` (sandbox creditors only) names the test run the account belongs
        to, so ``client.sandbox.reset(tag)`` deletes it; ``test_clock_id`` the test clock
        it lives on (``client.sandbox.clocks``).
        """
        return self._client.execute(
            _place_call(
                reference=reference,
                customer=customer,
                original_amount=original_amount,
                balance=balance,
                due_date=due_date,
                product=product,
                metadata=metadata,
                idempotency_key=idempotency_key,
                sandbox_tag=sandbox_tag,
                test_clock_id=test_clock_id,
            )
        )

    def place_many(
        self,
        items: Iterable[AccountLike],
        *,
        batch_size: int = MAX_BATCH_SIZE,
        concurrency: int = DEFAULT_CONCURRENCY,
        progress: bool | ProgressCallback = False,
        on_result: ResultCallback | None = None,
        keep_placed: bool = True,
        total: int | None = None,
    ) -> PlacementReport:
        """Place any number of accounts, ``batch_size`` per request, ``concurrency`` at once.

        ``items`` are ``NewAccount`` objects or mappings of the same fields (snake_case or
        camelCase), read lazily: a generator over a file of millions of lines is fine.
        Refused items do not stop the run; they are in ``report.errors``. An authentication,
        permission or connection failure does: the report of what was done comes back with
        the error in ``report.stopped_by`` (``report.ok`` is False). Re-running the same
        input is safe (see ``placement_key``). ``progress=True`` draws a bar on stderr;
        ``on_result`` sees every item's outcome as it comes; ``keep_placed=False`` keeps only
        counts and errors in the report (constant memory).
        """
        run = _new_run(items, total, keep_placed, on_result, progress, concurrency)
        with ThreadPoolExecutor(concurrency, thread_name_prefix="evenly-place") as pool:
            pending: dict[Future[list[_ItemOutcome]], _Batch] = {}
            source: Iterator[_Batch] = batches(items, batch_size)
            for batch in source:
                if not batch.inputs:
                    run.finish(batch, [])
                    continue
                pending[pool.submit(self._client.execute, batch_call(batch))] = batch
                if len(pending) >= concurrency:
                    self._collect(run, pending, FIRST_COMPLETED)
                if run.fatal is not None:
                    break
            self._collect(run, pending, None)
        return run.close()

    @staticmethod
    def _collect(
        run: PlacementRun,
        pending: dict[Future[list[_ItemOutcome]], _Batch],
        until: str | None,
    ) -> None:
        done, _ = wait(pending, return_when=until or "ALL_COMPLETED")
        for future in done:
            batch = pending.pop(future)
            try:
                run.finish(batch, future.result())
            except EvenlyError as error:
                run.finish(batch, error)

    def get(self, account_id: str | None = None, *, reference: str | None = None) -> Account:
        """One account by id, or by your ``reference``; ``NotFoundError`` if there is none."""
        return self._client.execute(_get_call(account_id, reference))

    def list(
        self,
        *,
        status: AccountStatus | str | Sequence[AccountStatus | str] | None = None,
        agency_id: str | None = None,
        country: str | None = None,
        placed_after: dt.datetime | None = None,
        placed_before: dt.datetime | None = None,
        reference: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
        limit: int | None = None,
    ) -> SyncPaginator[Account]:
        """Your accounts, newest first, fetched page by page as you iterate."""
        make = _list_calls(
            _filter(status, agency_id, country, placed_after, placed_before, reference)
        )
        return SyncPaginator(self._client.execute, make, page_size=page_size, limit=limit)

    def recall(
        self, account_id: str, *, reason: str | None = None, idempotency_key: str | None = None
    ) -> Account:
        """Take an account back from collection (status ``RECALLED``)."""
        return self._client.execute(_recall_call(account_id, reason, idempotency_key))

    def adjust_balance(
        self,
        account_id: str,
        *,
        amount: MoneyLike,
        reason: str,
        idempotency_key: str | None = None,
    ) -> Account:
        """Change the balance by a signed ``amount`` (negative lowers it), with a reason."""
        return self._client.execute(_adjust_call(account_id, amount, reason, idempotency_key))


# --- async --------------------------------------------------------------------------------


class AsyncAccounts(AsyncResource):
    """Accounts in collection: ``client.accounts`` of ``AsyncEvenly``."""

    async def place(
        self,
        *,
        reference: str,
        customer: NewCustomer | Mapping[str, Any],
        original_amount: MoneyLike,
        balance: MoneyLike,
        due_date: dt.date | str,
        product: str = "BNPL_INVOICE",
        metadata: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        sandbox_tag: str | None = None,
        test_clock_id: str | None = None,
    ) -> Placement:
        """Place one account; see ``Evenly.accounts.place``."""
        return await self._client.execute(
            _place_call(
                reference=reference,
                customer=customer,
                original_amount=original_amount,
                balance=balance,
                due_date=due_date,
                product=product,
                metadata=metadata,
                idempotency_key=idempotency_key,
                sandbox_tag=sandbox_tag,
                test_clock_id=test_clock_id,
            )
        )

    async def place_many(
        self,
        items: Iterable[AccountLike] | AsyncIterable[AccountLike],
        *,
        batch_size: int = MAX_BATCH_SIZE,
        concurrency: int = DEFAULT_CONCURRENCY,
        progress: bool | ProgressCallback = False,
        on_result: ResultCallback | None = None,
        keep_placed: bool = True,
        total: int | None = None,
    ) -> PlacementReport:
        """Place any number of accounts; see ``Evenly.accounts.place_many``.

        ``items`` may also be an async iterable.
        """
        run = _new_run(items, total, keep_placed, on_result, progress, concurrency)
        pending: dict[asyncio.Task[list[_ItemOutcome]], _Batch] = {}
        try:
            async for batch in _async_batches(items, batch_size):
                if not batch.inputs:
                    run.finish(batch, [])
                    continue
                task = asyncio.create_task(self._client.execute(batch_call(batch)))
                pending[task] = batch
                if len(pending) >= concurrency:
                    await self._collect(run, pending, asyncio.FIRST_COMPLETED)
                if run.fatal is not None:
                    break
            await self._collect(run, pending, asyncio.ALL_COMPLETED)
        finally:
            for task in pending:
                task.cancel()
        return run.close()

    @staticmethod
    async def _collect(
        run: PlacementRun,
        pending: dict[asyncio.Task[list[_ItemOutcome]], _Batch],
        until: str,
    ) -> None:
        if not pending:
            return
        done, _ = await asyncio.wait(pending, return_when=until)
        for task in done:
            batch = pending.pop(task)
            try:
                run.finish(batch, task.result())
            except EvenlyError as error:
                run.finish(batch, error)

    async def get(self, account_id: str | None = None, *, reference: str | None = None) -> Account:
        """One account by id, or by your ``reference``; ``NotFoundError`` if there is none."""
        return await self._client.execute(_get_call(account_id, reference))

    def list(
        self,
        *,
        status: AccountStatus | str | Sequence[AccountStatus | str] | None = None,
        agency_id: str | None = None,
        country: str | None = None,
        placed_after: dt.datetime | None = None,
        placed_before: dt.datetime | None = None,
        reference: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
        limit: int | None = None,
    ) -> AsyncPaginator[Account]:
        """Your accounts, newest first: ``async for account in client.accounts.list()``."""
        make = _list_calls(
            _filter(status, agency_id, country, placed_after, placed_before, reference)
        )
        return AsyncPaginator(self._client.execute, make, page_size=page_size, limit=limit)

    async def recall(
        self, account_id: str, *, reason: str | None = None, idempotency_key: str | None = None
    ) -> Account:
        """Take an account back from collection (status ``RECALLED``)."""
        return await self._client.execute(_recall_call(account_id, reason, idempotency_key))

    async def adjust_balance(
        self,
        account_id: str,
        *,
        amount: MoneyLike,
        reason: str,
        idempotency_key: str | None = None,
    ) -> Account:
        """Change the balance by a signed ``amount`` (negative lowers it), with a reason."""
        return await self._client.execute(_adjust_call(account_id, amount, reason, idempotency_key))


async def _async_batches(
    items: Iterable[AccountLike] | AsyncIterable[AccountLike], size: int
) -> AsyncIterable[_Batch]:
    if isinstance(items, AsyncIterable):
        buffer: list[AccountLike] = []
        start = 0
        async for item in items:
            buffer.append(item)
            if len(buffer) == size:
                for batch in batches(buffer, size, start):
                    yield batch
                start, buffer = start + size, []
        for batch in batches(buffer, size, start):
            yield batch
    else:
        for batch in batches(items, size):
            yield batch
