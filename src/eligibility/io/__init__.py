"""Reading rule files: safe YAML with positions, the rule-file schema and pack discovery."""
