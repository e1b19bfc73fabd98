"""Pure rules of the hub: no I/O, no imports from the rest of the hub."""
