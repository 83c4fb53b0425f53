"""Figures and reports drawn from results (matplotlib, colour-blind-safe palette)."""
