"""An early, cheap verdict that templates cannot help a block, before any template is learned.

Learning templates runs at about 1 MB/s where the lines share nothing, and the typed streams
then lose to a general coder anyway. Three signs, each read in a few milliseconds, send a block
straight to :mod:`logzip.codec.general`:

* lines averaging over ``LONG_LINE`` bytes (a dump on one line, lines of 100k tokens): a
  template per line shares nothing, and the miner's work grows with the tokens of a line;
* in ``SAMPLE_BYTES`` of whole lines from the middle of the block, at least ``DISTINCT`` of the
  whitespace-separated tokens occurring once (keys, hashes, base64): a template's constants are
  repeated tokens, and there are none. Only lines of two or more tokens are judged this way
  (JSON without spaces, or a URL a line, is one token a line: the miner splits it further);
* in the same sample of at least ``PROSE_LINES`` lines, at least ``PROSE`` of them beginning
  with two tokens (numbers and hex masked) that no other line begins with: prose, markup, lists.
  A log's lines begin alike (a timestamp, a level, a prefix): on the shared logs at most 0.12
  of them (a Mozilla build log), 0.02 on the others; prose 0.52-0.91, Wikipedia's XML 0.70,
  URLs 0.48, the CIA factbook 0.38 (the King James Bible, 0.12, keeps its templates: they pay);
* in the same sample, at least ``general.DIGIT_SHARE`` of the bytes in runs of
  ``digits.MIN_RUN`` digits or more (1000-digit numbers): a template's variables would send them
  to a column coder at 1 MB/s, where packing them (see :mod:`logzip.codec.digits`) is faster and smaller.

On the shared corpora no log block meets any sign (the highest mean line is 1.9 KB, the
highest share of distinct tokens 0.77, AWS CloudTrail), and blocks of at most
``general.TRY_ALL_LIMIT`` bytes are never judged: there the full comparison costs milliseconds.
"""
import re

from . import digits, general

LONG_LINE = 32 << 10
SAMPLE_BYTES = 64 << 10
DISTINCT = 0.9
MIN_TOKENS = 256
PROSE = 0.3
PROSE_LINES = 200
_MASKED = re.compile(rb"[0-9a-fA-F]*[0-9][0-9a-fA-F]*")   # numbers, hex with a digit


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
    if sum(end - start for start, end in digits.runs(sample)) >= general.DIGIT_SHARE * len(sample):
        return True
    lines = sample.split(b"\n")
    if len(lines) >= PROSE_LINES and _distinct_starts(lines) >= PROSE * len(lines):
        return True
    tokens = sample.split()
    return len(tokens) >= max(MIN_TOKENS, 2 * len(lines)) and len(set(tokens)) >= DISTINCT * len(tokens)


def _distinct_starts(lines) -> int:
    """How many of ``lines`` begin with two tokens (numbers and hex masked) that no other does."""
    counts = {}
    for line in lines:
        start = tuple(_MASKED.sub(b"0", line[:200]).split()[:2])
        counts[start] = counts.get(start, 0) + 1
    return sum(count == 1 for count in counts.values())
