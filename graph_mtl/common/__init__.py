"""Helpers used across graph-mtl that belong to no AllenNLP component (standard library only)."""
