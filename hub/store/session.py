"""What a repository works on: one connection, its database's dialect, and the cipher of
the personal data it reads and writes."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from hub.store.dialect import Dialect
from hub.store.pii import FieldCipher


@dataclass
class Session:
    conn: AsyncConnection
    dialect: Dialect
    cipher: FieldCipher
