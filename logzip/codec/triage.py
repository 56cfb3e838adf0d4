"""An early, cheap verdict that templates cannot help a block, before any template is learned.

Learning templates runs at about 1 MB/s where the lines share nothing, and the typed streams
then lose to a general coder anyway. Two signs, each read in a millisecond or two, send a block
straight to :mod:`logzip.codec.general`:

* lines averaging over ``LONG_LINE`` bytes (a dump on one line, lines of 100k tokens): a
  template per line shares nothing, and the miner's work grows with the tokens of a line;
* in ``SAMPLE_BYTES`` of whole lines from the middle of the block, at least ``DISTINCT`` of the
  whitespace-separated tokens occurring once (keys, hashes, base64): a template's constants are
  repeated tokens, and there are none. Only lines of two or more tokens are judged this way
  (JSON without spaces, or a URL a line, is one token a line: the miner splits it further).

On the shared corpora no log block meets either sign (the highest mean line is 1.9 KB, the
highest share of distinct tokens 0.77, AWS CloudTrail), and blocks of at most
``general.TRY_ALL_LIMIT`` bytes are never judged: there the full comparison costs milliseconds.
"""
from . import general

LONG_LINE = 32 << 10
SAMPLE_BYTES = 64 << 10
DISTINCT = 0.9
MIN_TOKENS = 256


def templates_hopeless(raw: bytes) -> bool:
    """True when ``raw`` shows a sign (see the module's docstring) that templates cannot help."""
    if len(raw) <= general.TRY_ALL_LIMIT:
        return False
    n_lines = raw.count(b"\n") + (not raw.endswith(b"\n"))
    if len(raw) > LONG_LINE * n_lines:
        return True
    start = raw.find(b"\n", max(0, (len(raw) - SAMPLE_BYTES) // 2)) + 1
    end = raw.find(b"\n", start + SAMPLE_BYTES)
    sample = raw[start:] if end < 0 else raw[start:end]
    tokens = sample.split()
    lines = sample.count(b"\n") + 1
    if len(tokens) < max(MIN_TOKENS, 2 * lines):
        return False
    return len(set(tokens)) >= DISTINCT * len(tokens)
