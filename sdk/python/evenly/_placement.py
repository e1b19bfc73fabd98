"""``accounts.place_many``: stream accounts in batches over ``placeAccounts``, resumably.

Every item gets an idempotency key derived from its reference (``placement_key``), unless
it brings its own. Running the same input again, after a crash or a kill, sends the same
keys: what was placed comes back as a replay (``replayed``), nothing is placed twice, and
the rest is placed. Only a bounded number of batches is in memory at any time, whatever the
size of the input; the report keeps counts and errors, and the placed accounts only when
``keep_placed`` is true.
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

from pydantic import ValidationError

from evenly._base_client import Call
from evenly._exceptions import APIConnectionError, AuthenticationError, EvenlyError, PermissionError
from evenly._models import NewAccount, UserErrorDetail, UserWarning
from evenly._operations import PLACE_ACCOUNTS

__all__ = [
    "PlacementError",
    "PlacementProgress",
    "PlacementReport",
    "PlacementResult",
    "placement_key",
]

MAX_BATCH_SIZE = 500
DEFAULT_CONCURRENCY = 4
_KEY_LIMIT = 255

AccountLike = NewAccount | Mapping[str, Any]
# Batch-level failures after which no other batch can do better: stop the run.
_FATAL = (AuthenticationError, PermissionError, APIConnectionError)


def placement_key(reference: str) -> str:
    """The idempotency key the SDK gives the placement of ``reference``: the same every run."""
    key = f"place:{reference}"
    if len(key) <= _KEY_LIMIT:
        return key
    return "place-sha256:" + hashlib.sha256(reference.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class PlacementResult:
    """One placed item: where it was in the input, its reference, the account's id."""

    index: int
    reference: str
    account_id: str
    replayed: bool
    warnings: tuple[UserWarning, ...] = ()


@dataclass(frozen=True, slots=True)
class PlacementError:
    """One refused item, with the hub's ``userErrors`` (fields relative to the item)."""

    index: int
    reference: str | None
    errors: tuple[UserErrorDetail, ...]

    @property
    def code(self) -> str:
        return self.errors[0].code


@dataclass(frozen=True, slots=True)
class PlacementProgress:
    """Where a run stands, for progress callbacks."""

    done: int
    total: int | None
    placed: int
    failed: int
    elapsed: float


@dataclass
class PlacementReport:
    """What ``place_many`` did: counts, every error, and the placed accounts if kept.

    ``stopped_by`` is the authentication, permission or connection error that ended the run
    early (the items of its batch are among ``errors``; items after it were not sent), or
    None when every item was sent. Running the same input again is safe.
    """

    placed_count: int = 0
    replayed_count: int = 0
    failed_count: int = 0
    errors: list[PlacementError] = field(default_factory=list)
    placed: list[PlacementResult] = field(default_factory=list)
    elapsed: float = 0.0
    stopped_by: EvenlyError | None = None

    @property
    def total(self) -> int:
        return self.placed_count + self.failed_count

    @property
    def ok(self) -> bool:
        return self.failed_count == 0 and self.stopped_by is None


@dataclass(slots=True)
class _Batch:
    start: int
    inputs: list[dict[str, Any]]
    references: list[str]
    # Positions in the input (from ``start``) of the items sent, and items refused locally.
    positions: list[int]
    rejected: list[PlacementError]


def prepare(index: int, item: AccountLike) -> dict[str, Any] | PlacementError:
    """The GraphQL input of one item with its idempotency key, or why it cannot be sent."""
    try:
        account = item if isinstance(item, NewAccount) else NewAccount.model_validate(item)
    except ValidationError as error:
        reference = item.get("reference") if isinstance(item, Mapping) else None
        return PlacementError(
            index, reference if isinstance(reference, str) else None, _validation_errors(error)
        )
    data = account.to_input()
    data.setdefault("idempotencyKey", placement_key(account.reference))
    return data


def _validation_errors(error: ValidationError) -> tuple[UserErrorDetail, ...]:
    return tuple(
        UserErrorDetail(field=[str(p) for p in e["loc"]], code="INVALID_INPUT", message=e["msg"])
        for e in error.errors()
    )


def batches(items: Iterable[AccountLike], size: int, start: int = 0) -> Iterator[_Batch]:
    """Group ``items`` into batches of ``size`` valid inputs (items refused locally ride along).

    ``start`` is the input position of the first item.
    """
    if not 1 <= size <= MAX_BATCH_SIZE:
        raise ValueError(f"batch_size must be 1-{MAX_BATCH_SIZE}")
    batch = _Batch(start, [], [], [], [])
    for index, item in enumerate(items, start):
        prepared = prepare(index, item)
        if isinstance(prepared, PlacementError):
            batch.rejected.append(prepared)
        else:
            batch.inputs.append(prepared)
            batch.references.append(prepared["reference"])
            batch.positions.append(index)
        if len(batch.inputs) == size:
            yield batch
            batch = _Batch(index + 1, [], [], [], [])
    if batch.inputs or batch.rejected:
        yield batch


@dataclass(frozen=True, slots=True)
class _ItemOutcome:
    account_id: str | None
    errors: list[dict[str, Any]]
    warnings: list[dict[str, Any]]
    replayed: bool


def batch_call(batch: _Batch) -> Call[list[_ItemOutcome]]:
    def parse(data: dict[str, Any], request_id: str | None) -> list[_ItemOutcome]:
        payload = data["placeAccounts"]
        results = payload["results"]
        if not results and payload["userErrors"]:
            # The batch itself was refused (e.g. its size): every item shares the errors.
            return [_ItemOutcome(None, payload["userErrors"], [], False)] * len(batch.inputs)
        return [
            _ItemOutcome(
                (r["account"] or {}).get("id"), r["userErrors"], r["warnings"], r["replayed"]
            )
            for r in results
        ]

    # Every item carries an idempotency key: the batch is safe to retry.
    return Call(PLACE_ACCOUNTS, {"input": {"items": batch.inputs}}, parse, retry_safe=True)


ResultCallback = Callable[[PlacementResult | PlacementError], None]
ProgressCallback = Callable[[PlacementProgress], None]


class PlacementRun:
    """The bookkeeping of one ``place_many``, shared by the sync and async clients."""

    def __init__(
        self,
        *,
        total: int | None,
        keep_placed: bool,
        on_result: ResultCallback | None,
        progress: bool | ProgressCallback,
    ) -> None:
        self.report = PlacementReport()
        self.total = total
        self.keep_placed = keep_placed
        self.on_result = on_result
        self.started = time.monotonic()
        self.done = 0
        self.fatal: EvenlyError | None = None
        if progress is True:
            self.progress: ProgressCallback | None = ProgressBar(sys.stderr)
        elif progress is False:
            self.progress = None
        else:
            self.progress = progress

    def finish(self, batch: _Batch, outcome: list[_ItemOutcome] | EvenlyError) -> None:
        """Account for one batch's answer (or the error that ended it)."""
        report = self.report
        for rejected in batch.rejected:
            self._failed(rejected)
        if isinstance(outcome, EvenlyError):
            if isinstance(outcome, _FATAL) and self.fatal is None:
                self.fatal = outcome
            detail = UserErrorDetail(
                code=outcome.code or type(outcome).__name__, message=outcome.message
            )
            outcome = [_ItemOutcome(None, [detail.model_dump()], [], False)] * len(batch.inputs)
        for position, reference, item in zip(
            batch.positions, batch.references, outcome, strict=True
        ):
            if item.account_id is None:
                errors = tuple(
                    UserErrorDetail.model_validate({**e, "field": _item_field(e.get("field"))})
                    for e in item.errors
                )
                self._failed(PlacementError(position, reference, errors))
                continue
            report.placed_count += 1
            report.replayed_count += item.replayed
            if self.keep_placed or self.on_result is not None:
                result = PlacementResult(
                    position,
                    reference,
                    item.account_id,
                    item.replayed,
                    tuple(UserWarning.model_validate(w) for w in item.warnings),
                )
                if self.keep_placed:
                    report.placed.append(result)
                if self.on_result is not None:
                    self.on_result(result)
        self.done += len(batch.inputs) + len(batch.rejected)
        report.elapsed = time.monotonic() - self.started
        if self.progress is not None:
            self.progress(
                PlacementProgress(
                    self.done, self.total, report.placed_count, report.failed_count, report.elapsed
                )
            )

    def _failed(self, error: PlacementError) -> None:
        self.report.failed_count += 1
        self.report.errors.append(error)
        if self.on_result is not None:
            self.on_result(error)

    def close(self) -> PlacementReport:
        self.report.elapsed = time.monotonic() - self.started
        if isinstance(self.progress, ProgressBar):
            self.progress.close()
        self.report.placed.sort(key=lambda r: r.index)
        self.report.errors.sort(key=lambda e: e.index)
        # Nothing more could succeed (credentials, scope, hub unreachable): the run stopped,
        # and says so. Running the same input again is safe (the keys make replays).
        self.report.stopped_by = self.fatal
        return self.report


def _item_field(path: list[str] | None) -> list[str] | None:
    """``["items", "7", "customer", "email"]`` → ``["customer", "email"]``."""
    if path and len(path) >= 2 and path[0] == "items":
        return path[2:] or None
    return path


def length_hint(items: object) -> int | None:
    try:
        return len(items)  # type: ignore[arg-type]
    except TypeError:
        return None


class ProgressBar:
    """A one-line progress bar on a terminal stream, redrawn at most ten times a second."""

    def __init__(self, stream: TextIO, label: str = "placing") -> None:
        self.stream = stream
        self.label = label
        self._last = 0.0
        self._line = ""

    def __call__(self, progress: PlacementProgress) -> None:
        now = time.monotonic()
        if now - self._last < 0.1 and progress.done != progress.total:
            return
        self._last = now
        rate = progress.done / progress.elapsed if progress.elapsed > 0 else 0.0
        if progress.total:
            share = progress.done / progress.total
            filled = int(share * 30)
            bar = "█" * filled + "░" * (30 - filled)
            head = f"{bar} {progress.done:,}/{progress.total:,} {share:4.0%}"
        else:
            head = f"{progress.done:,}"
        self._line = (
            f"\r{self.label} {head}  {rate:,.0f}/s  placed {progress.placed:,}"
            f"  failed {progress.failed:,}"
        )
        self.stream.write(self._line)
        self.stream.flush()

    def close(self) -> None:
        if self._line:
            self.stream.write("\n")
            self.stream.flush()
