"""The two one-line exception summaries in warpsynth.errors (rejects.jsonl text; extract failures)."""

from __future__ import annotations

from warpsynth.errors import last_line_reason, reject_reason


def test_reject_reason_joins_every_line_and_caps_at_300_characters():
    assert reject_reason(ValueError("  first\n\n  second  \n")) == "ValueError: first second"
    assert reject_reason(KeyError("missing")) == "KeyError: missing"  # no quotes from KeyError.__str__
    assert reject_reason(RuntimeError()) == "RuntimeError"
    long = reject_reason(RuntimeError("x" * 400))
    assert len(long) == 300 and long.endswith("...")


def test_last_line_reason_keeps_the_last_line_of_a_codegen_error():
    exc = RuntimeError("Error while parsing function \"k\" at f.py:3:\n;    y = x + q\n; NameError: q is not defined\n")
    assert last_line_reason(exc) == "RuntimeError: NameError: q is not defined"
    assert last_line_reason(KeyError("k")) == "KeyError: 'k'"
    assert last_line_reason(OSError()) == "OSError"
