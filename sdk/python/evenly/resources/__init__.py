"""Resource services: ``client.accounts``, ``client.events``, ``client.webhook_endpoints``."""
