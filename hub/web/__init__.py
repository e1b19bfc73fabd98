"""Server-rendered pages of the hub for debtors (the portal): HTML forms that post, no
JavaScript, no external requests."""
