"""``evenly mcp``: run the MCP server (``evenly.mcp_server``; needs the ``mcp`` extra)."""

from __future__ import annotations

import asyncio

import click

from evenly import _config
from evenly._client import AsyncEvenly
from evenly._exceptions import EvenlyError


def _client() -> AsyncEvenly:
    client_id, secret, base_url = _config.credentials()
    return AsyncEvenly(client_id, secret, base_url=base_url)


@click.command("mcp")
@click.option(
    "--allow-write",
    is_flag=True,
    help="Add the write tools (preview, then commit with a confirmation token).",
)
@click.option("--show-pii", is_flag=True, help="Show debtors' names, emails and phones.")
@click.option(
    "--transport",
    type=click.Choice(["stdio", "http"]),
    default="stdio",
    show_default=True,
    help="stdio for a local client; http: streamable HTTP on --host:--port, path /mcp.",
)
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Where --transport http listens."
)
@click.option(
    "--port",
    default=8765,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="The port --transport http listens on.",
)
@click.option(
    "--confirmation-ttl",
    default=300,
    show_default=True,
    type=click.IntRange(1, 3600),
    help="Seconds a preview's confirmation token stays valid.",
)
def mcp_command(
    allow_write: bool,
    show_pii: bool,
    transport: str,
    host: str,
    port: int,
    confirmation_ttl: int,
) -> None:
    """Serve the hub's flows to AI assistants over MCP (read-only unless --allow-write)."""
    try:
        from evenly.mcp_server.server import ServerOptions, build_server
    except ImportError as error:
        raise click.ClickException(
            f"the MCP server needs the mcp extra: pip install 'evenly[mcp]' ({error})"
        ) from error
    options = ServerOptions(
        allow_write=allow_write, show_pii=show_pii, confirmation_ttl_seconds=confirmation_ttl
    )

    async def serve() -> None:
        async with _client() as client:
            try:
                viewer = await client.viewer()
            except EvenlyError as error:
                raise click.ClickException(f"the hub refused these credentials: {error}") from error
            server = build_server(client, viewer, options)
            if transport == "stdio":
                await server.run_stdio_async()
            else:
                await server.run_streamable_http_async(host=host, port=port)

    asyncio.run(serve())
