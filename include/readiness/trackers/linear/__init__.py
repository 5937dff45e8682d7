"""The Linear tracker (GraphQL API, personal API key)."""
