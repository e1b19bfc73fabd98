"""Webhook delivery: endpoint URL safety, the outbox relay and the delivery worker."""
