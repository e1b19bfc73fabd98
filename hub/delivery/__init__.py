"""Webhook delivery: the worker over the store's delivery queue, its sender, and the pure
policy of retries, pauses and disabled endpoints."""
