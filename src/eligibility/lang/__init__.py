"""The rule expression language: parser and type checker."""
