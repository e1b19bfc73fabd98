"""The MCP server of the SDK (``evenly mcp``, the ``mcp`` extra): the hub's flows as tools
for AI assistants, read-only unless allowed. ``server`` assembles it; ``reads``, ``previews``
and ``writes`` are its tools; ``confirmation`` and ``masking`` its safeguards."""
