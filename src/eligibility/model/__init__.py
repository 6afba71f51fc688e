"""The immutable model: expression nodes and rules. Free of any execution."""
