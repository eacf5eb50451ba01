"""Rendering: offline web maps, plan structure diagrams, print maps, styles."""
