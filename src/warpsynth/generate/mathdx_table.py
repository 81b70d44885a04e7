"""PROVISIONAL (sweep running)."""
ACCEPTED = frozenset({(4, 4, 4, 'float32', 32, 80), (4, 4, 4, 'float32', 32, 90), (4, 4, 4, 'float32', 64, 80), (4, 4, 4, 'float32', 64, 90)})
REJECTED = {}
