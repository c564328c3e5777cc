"""GraphQL layer: strawberry types, queries, mutations, loaders. Thin: parse, call, map."""
