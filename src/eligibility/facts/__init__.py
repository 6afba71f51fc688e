"""Facts about enterprises: the profile schema, field registry, derived facts and official codes."""
