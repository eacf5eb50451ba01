"""Computation: official ellipsoidal areas, the overlay engine, area shares, site checks, rules, audits."""
