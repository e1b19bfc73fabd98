"""Evenly hub: the integration hub between creditors and collection agencies."""

__version__ = "0.1.0"
