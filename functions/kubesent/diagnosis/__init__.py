"""Diagnosis: ordered deterministic rules first, then an optional model, behind one protocol."""
