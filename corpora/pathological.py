"""Inputs that templates cannot help, made to measure what they cost (``bench.pathological``).

``pathological(n_bytes)`` maps a name to about ``n_bytes`` of one kind, deterministic:

* ``giant_line``: one line without a newline, random words and numbers (a dump on one line);
* ``many_tokens``: lines of 100,000 short tokens each;
* ``long_numbers``: lines holding numbers of 1,000 digits;
* ``random_tokens``: lines of random tokens, none repeated (keys, hashes, base64).
"""
import base64
import random

LINE_TOKENS = 100_000
NUMBER_DIGITS = 1000


def _words(rng: random.Random, n_bytes: int) -> bytes:
    """Random lowercase words and numbers separated by single spaces, about ``n_bytes`` long."""
    alphabet = b"abcdefghijklmnopqrstuvwxyz0123456789      "
    return rng.randbytes(n_bytes).translate(bytes(alphabet[i % len(alphabet)] for i in range(256)))


def _giant_line(rng: random.Random, n_bytes: int) -> bytes:
    return _words(rng, n_bytes)


def _many_tokens(rng: random.Random, n_bytes: int) -> bytes:
    line_bytes = LINE_TOKENS * 6
    lines = []
    for _ in range(max(1, n_bytes // line_bytes)):
        lines.append(b" ".join(b"k%d=%d" % (rng.randrange(100), rng.randrange(1000)) for _ in range(LINE_TOKENS)))
    return b"\n".join(lines) + b"\n"


def _long_numbers(rng: random.Random, n_bytes: int) -> bytes:
    lines = []
    for i in range(max(1, n_bytes // (NUMBER_DIGITS + 30))):
        lines.append(b"value %d is %d" % (i, rng.randrange(10 ** (NUMBER_DIGITS - 1), 10 ** NUMBER_DIGITS)))
    return b"\n".join(lines) + b"\n"


def _random_tokens(rng: random.Random, n_bytes: int) -> bytes:
    lines = []
    for _ in range(max(1, n_bytes // 100)):
        tokens = [base64.b64encode(rng.randbytes(rng.randrange(3, 24))) for _ in range(rng.randrange(2, 8))]
        lines.append(b" ".join(tokens))
    return b"\n".join(lines) + b"\n"


KINDS = {"giant_line": _giant_line, "many_tokens": _many_tokens, "long_numbers": _long_numbers,
         "random_tokens": _random_tokens}


def pathological(n_bytes: int, seed: int = 0) -> dict:
    """Name -> about ``n_bytes`` of that kind (see the module docstring)."""
    return {name: make(random.Random(seed), n_bytes) for name, make in KINDS.items()}
