"""The interpreter backend: one profile, full explanations, and a compiled fast decision path."""
