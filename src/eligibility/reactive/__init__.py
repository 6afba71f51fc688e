"""Reactive mode: profile updates in, newly-eligible / no-longer-eligible events out (政策找企业)."""
