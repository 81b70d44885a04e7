"""Expected failures: the CLI prints these as one line (no traceback) and exits 2."""


class WarpsynthError(Exception):
    """Bad input or a refused operation; the message names the file/sample and the reason."""


class PartialFailure(WarpsynthError):
    """Some of the work failed after the rest was done and saved (e.g. generate tasks that failed
    after retries); the CLI prints the one-line message and exits 1, not 2."""
