"""Backends compile a RuleSet and run it: interpreter (explanations) first; others follow."""
