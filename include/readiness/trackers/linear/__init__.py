"""The Linear tracker (GraphQL API, personal API key)."""

from pathlib import Path

#: Linear's published GraphQL schema, vendored with its MIT licence and upstream commit
#: (``schema/LICENSE``, ``schema/SOURCE``): what every document the tracker sends, and the
#: local fake Linear, are validated against.
SCHEMA_PATH = Path(__file__).parent / "schema" / "schema.graphql"
