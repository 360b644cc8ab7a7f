"""GraphQL types, filters and queries of the plugin (schema: `graphql.schema.schema`)."""
