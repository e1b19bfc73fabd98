"""The GraphQL API and the other HTTP endpoints. Thin: parse input, call a service, shape output."""
