"""Psychometric analyses of item-level data: items, reliability, factor models, invariance."""
