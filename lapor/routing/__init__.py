"""Routing: a scikit-learn text classifier that sends each complaint to its OPD."""
