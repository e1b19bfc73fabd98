"""Use cases. Each public function runs in one transaction that writes the change and its events.

The GraphQL API, the CLI and the tests all call these; none of them writes tables directly.
"""
