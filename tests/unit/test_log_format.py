"""``EVENLY_LOG_FORMAT``: ``auto`` is readable text on a terminal and JSON anywhere else."""

from __future__ import annotations

import io
import json
import logging

import pytest

from hub.observability import JsonFormatter, TextFormatter, resolve_log_format
from hub.settings import Settings


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_auto_is_the_default_and_follows_the_stream() -> None:
    assert Settings().log_format == "auto"
    assert resolve_log_format("auto", _Terminal()) == "text"
    assert resolve_log_format("auto", io.StringIO()) == "json"


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_an_explicit_format_wins_over_the_terminal(fmt: str) -> None:
    assert resolve_log_format(fmt, _Terminal()) == fmt
    assert resolve_log_format(fmt, io.StringIO()) == fmt


def test_an_unknown_format_names_the_setting() -> None:
    with pytest.raises(ValueError, match="EVENLY_LOG_FORMAT='xml'"):
        resolve_log_format("xml")


def test_a_text_line_keeps_the_extra_fields_and_drops_uvicorns_colored_copy() -> None:
    record = logging.makeLogRecord(
        {
            "name": "hub.delivery",
            "levelno": logging.WARNING,
            "levelname": "WARNING",
            "msg": "endpoint %s paused",
            "args": ("we_1",),
            "endpoint_id": "we_1",
            "color_message": "\x1b[1mendpoint\x1b[0m",
        }
    )
    line = TextFormatter().format(record)
    assert line.endswith("WARNING hub.delivery: endpoint we_1 paused endpoint_id=we_1")
    assert "\x1b" not in line
    assert json.loads(JsonFormatter().format(record))["endpoint_id"] == "we_1"
