"""``evenly mcp``: the hub's flows as MCP tools, over stdio or streamable HTTP.

Built on the official ``mcp`` SDK (2.x, ``MCPServer``) and talking to the hub only through
``AsyncEvenly``, as the API client whose credentials it runs with.

- Read-only by default: the read tools (``evenly.mcp_server.reads``) alone.
- ``allow_write`` adds one preview tool per write action of the organization's kind and the
  one ``evenly_commit`` (``evenly.mcp_server.writes``). Without it they are not listed, and
  a call naming one is refused by the handler (``WRITE_NOT_ALLOWED``), so a client that
  remembers a tool from another session cannot reach it.
- Whatever the server allows, the hub checks the API client's scopes: a read-only client
  cannot write.
- Debtors' names, emails and phones are masked unless ``show_pii``.
- A failure is a tool error (``isError``) whose JSON carries the hub's stable ``code``, the
  message and the request id; never a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import Field

from evenly._client import AsyncEvenly
from evenly._exceptions import EvenlyError, UserError
from evenly._models import Viewer
from evenly._version import __version__
from evenly.mcp_server._context import ToolContext, ToolSpec
from evenly.mcp_server.confirmation import ConfirmationError, Confirmations
from evenly.mcp_server.previews import preview_tools
from evenly.mcp_server.reads import read_tools
from evenly.mcp_server.writes import WriteTools

__all__ = ["ServerOptions", "build_server"]

INSTRUCTIONS = (
    "Tools of the Evenly debt-collection hub, acting as one API client. Reads are safe. "
    "Writes (only when the server allows them) are two steps: call evenly_preview_<action>, "
    "show the user what would happen, and only after the user explicitly confirms, call "
    "evenly_commit with the same action, arguments and confirmation_token. Never commit "
    "without the user's confirmation. Personal data is masked unless the operator shows it."
)


@dataclass(frozen=True)
class ServerOptions:
    """How the server runs: ``evenly mcp``'s flags."""

    allow_write: bool = False
    show_pii: bool = False
    confirmation_ttl_seconds: int = 300


class EvenlyMCPServer(MCPServer):
    """``MCPServer`` whose handler refuses write tools unless they were allowed, and turns
    the SDK's errors into tool errors with the hub's codes."""

    def __init__(self, *, write_tools: set[str], allow_write: bool) -> None:
        super().__init__("evenly", version=__version__, instructions=INSTRUCTIONS)
        self._write_tools = write_tools
        self._allow_write = allow_write

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Any = None) -> Any:
        if name in self._write_tools and not self._allow_write:
            return _tool_error(
                "WRITE_NOT_ALLOWED",
                f"{name} is a write tool; this server runs read-only (start it with --allow-write)",
            )
        try:
            return await super().call_tool(name, arguments, context)
        except Exception as error:
            cause = error.__cause__ if isinstance(error.__cause__, Exception) else error
            if isinstance(cause, EvenlyError):
                return _tool_error(cause.code or type(cause).__name__, cause.message, cause)
            if isinstance(cause, ConfirmationError):
                return _tool_error(cause.code, cause.message)
            raise


def _tool_error(code: str, message: str, error: EvenlyError | None = None) -> CallToolResult:
    body: dict[str, Any] = {"code": code, "message": message}
    if error is not None and error.request_id:
        body["request_id"] = error.request_id
    if isinstance(error, UserError):
        body["field"] = error.field
        body["user_errors"] = [e.model_dump(mode="json") for e in error.user_errors]
    payload = {"error": body}
    return CallToolResult(
        content=[TextContent(type="text", text=json.dumps(payload))],
        structured_content=payload,
        is_error=True,
    )


#: Every write tool's name, listed or not: the handler refuses these without --allow-write.
def _write_tool_names() -> set[str]:
    from evenly.mcp_server.writes import WRITE_ACTIONS

    return {f"evenly_preview_{name}" for name in WRITE_ACTIONS} | {"evenly_commit"}


def _commit_tool(writes: WriteTools) -> ToolSpec:
    async def commit(
        action: Annotated[str, Field(description="The `action` of the preview.")],
        arguments: Annotated[dict[str, Any], Field(description="The preview's `arguments`.")],
        confirmation_token: Annotated[str, Field(description="The preview's token.")],
    ) -> dict[str, Any]:
        return await writes.commit(action, arguments, confirmation_token)

    return ToolSpec(
        "evenly_commit",
        commit,
        "Commit a previewed write, after the user confirmed it: the same action and "
        "arguments, and the preview's confirmation_token (valid for minutes). Repeating a "
        "commit with the same token acts once.",
        read_only=False,
        destructive=True,
        idempotent=True,
    )


def tools_for(
    client: AsyncEvenly, viewer: Viewer, options: ServerOptions
) -> tuple[list[ToolSpec], set[str]]:
    """The tools to list for this API client, and the names of every write tool."""
    ctx = ToolContext(client, show_pii=options.show_pii)
    kind = str(viewer.organization.kind or "")
    specs = read_tools(ctx)
    if options.allow_write:
        writes = WriteTools(
            ctx, Confirmations(ttl_seconds=options.confirmation_ttl_seconds), set(viewer.scopes)
        )
        specs += [*preview_tools(writes), _commit_tool(writes)]
    return [s for s in specs if s.kinds is None or kind in s.kinds], _write_tool_names()


def build_server(client: AsyncEvenly, viewer: Viewer, options: ServerOptions) -> EvenlyMCPServer:
    """The MCP server of ``client`` (authenticated as ``viewer``)."""
    specs, write_names = tools_for(client, viewer, options)
    server = EvenlyMCPServer(write_tools=write_names, allow_write=options.allow_write)
    for spec in specs:
        server.add_tool(
            spec.function,
            name=spec.name,
            description=spec.description,
            annotations=_annotations(spec),
            structured_output=True,
        )
    return server


def _annotations(spec: ToolSpec) -> ToolAnnotations:
    if spec.read_only:
        return ToolAnnotations(read_only_hint=True, open_world_hint=False)
    return ToolAnnotations(
        read_only_hint=False,
        destructive_hint=spec.destructive,
        idempotent_hint=spec.idempotent,
        open_world_hint=False,
    )


def listed_names(specs: Sequence[ToolSpec]) -> list[str]:
    return [s.name for s in specs]
