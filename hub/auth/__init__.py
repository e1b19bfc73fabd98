"""Authentication and authorization: client secrets, OAuth2 tokens, scopes, rate limits."""
