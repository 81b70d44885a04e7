"""Expected failures: the CLI prints these as one line (no traceback) and exits 2."""


class WarpsynthError(Exception):
    """Bad input or a refused operation; the message names the file/sample and the reason."""


class PartialFailure(WarpsynthError):
    """Some of the work failed after the rest was done and saved (e.g. generate tasks that failed
    after retries); the CLI prints the one-line message and exits 1, not 2."""


def reject_reason(exc: BaseException) -> str:
    """``Type: the whole message on one line``, at most 300 characters: a sample's reason in
    ``rejects.jsonl``. A ``KeyError``'s key is shown without the quotes ``str()`` adds."""
    raw = exc.args[0] if isinstance(exc, KeyError) and exc.args and isinstance(exc.args[0], str) else str(exc)
    text = " ".join(line.strip() for line in raw.strip().splitlines() if line.strip())
    msg = f"{type(exc).__name__}: {text}".rstrip(": ")
    return msg if len(msg) <= 300 else msg[:297] + "..."


def last_line_reason(exc: BaseException) -> str:
    """``Type: the message's last non-empty line`` (leading ``;`` removed): Warp's codegen errors
    put the real reason on their last line, after the source context (``extract``'s failures)."""
    lines = [line.strip().lstrip(";").strip() for line in str(exc).splitlines()]
    lines = [line for line in lines if line]
    detail = lines[-1] if lines else ""
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
