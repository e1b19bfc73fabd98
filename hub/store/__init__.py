"""Storage: tables, engine and sessions, migrations, PII encryption and identifiers."""
