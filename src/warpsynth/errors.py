"""Expected failures: the CLI prints these as one line (no traceback) and exits 2."""


class WarpsynthError(Exception):
    """Bad input or a refused operation; the message names the file/sample and the reason."""
