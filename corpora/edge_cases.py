"""Inputs that a lossless log compressor must give back byte for byte.

``edge_cases()`` maps a short name to the bytes of one case.  Most cases are built on HDFS-like
lines so that they exercise both the header format (``FORMATS["hdfs"]``) and the content
templates; the rest are raw bytes with no structure at all.
"""
import random

from corpora.generate import FORMATS, generate

FORMAT = FORMATS["hdfs"]  # the header format the structured cases are built for
GIANT_LINE_BYTES = 4_000_000


def _hdfs(n_bytes, seed=0, crlf=False):
    return generate("hdfs", n_bytes, seed=seed, crlf=crlf)


def _numbers():
    """Tokens that look numeric but must come back unchanged, not as the integer they parse to."""
    tokens = ["0", "00", "007", "-0", "+5", "-17", "1e309", "1.50", ".5", "5.", "0x1F", "1_000", "NaN", "inf",
              str(2**63 - 1), str(2**63), str(-(2**63)), str(2**64), "9" * 40, "١٢٣", "12\u00a0345", "3.14159265358979323846"]
    lines = [f"081109 2036{i % 60:02d} {148 + i} INFO dfs.DataNode: size {t} offset {t} of {t}" for i, t in enumerate(tokens)]
    return "\n".join(lines).encode() + b"\n"


def edge_cases(giant_line_bytes=GIANT_LINE_BYTES) -> dict:
    """Name -> input bytes, deterministic; ``giant_line_bytes`` sets the length of the giant line."""
    lf_lines = _hdfs(20_000).splitlines()
    rng = random.Random(0)
    alphabet = b"abcdefghijklmnopqrstuvwxyz0123456789 =:/."
    giant = rng.randbytes(giant_line_bytes).translate(bytes(alphabet[i % len(alphabet)] for i in range(256)))
    mixed = b"".join(line + (b"\r\n" if i % 3 else b"\n") for i, line in enumerate(lf_lines))
    return {
        "empty": b"",
        "single_byte": b"x",
        "single_newline": b"\n",
        "only_newlines": b"\n" * 1000,
        "only_crlf": b"\r\n" * 500,
        "lf": _hdfs(20_000),
        "crlf": _hdfs(20_000, crlf=True),
        "mixed_crlf_lf": mixed,
        "no_final_newline": _hdfs(20_000).rstrip(b"\n"),
        "crlf_no_final_newline": _hdfs(20_000, crlf=True)[:-2],
        "final_lone_cr": _hdfs(5_000) + b"081109 203615 148 INFO dfs.DataNode: last line\r",
        "lone_cr": b"a\rb\r\nc\rd\n\r\r\n\r" + b"\r".join(lf_lines[:20]) + b"\n",
        "cr_only_endings": b"\r".join(lf_lines[:50]) + b"\r",
        "empty_lines": b"\n".join(line if i % 4 else b"" for i, line in enumerate(lf_lines)) + b"\n\n\n",
        "whitespace_only_lines": b"   \n\t\n \t \n" + b"\n".join(lf_lines[:30]) + b"\n  \n",
        "tabs": b"\n".join(line.replace(b" ", b"\t", 1 + i % 5) for i, line in enumerate(lf_lines)) + b"\n",
        "runs_of_spaces": b"\n".join((b" " * (i % 3)) + line.replace(b" ", b" " * (1 + i % 4)) + (b" " * (i % 2))
                                     for i, line in enumerate(lf_lines)) + b"\n",
        "header_without_content": b"081109 203615 148 INFO dfs.DataNode:\n081109 203615 148 INFO dfs.DataNode: \n"
                                  b"081109 203615 148 INFO dfs.DataNode:  \n" + lf_lines[0] + b"\n",
        "non_utf8": b"\n".join(line + suffix for line, suffix in zip(lf_lines, (
            b" caf\xe9", b" \xff\xfe", b" \xc3\x28", b" \xed\xa0\x80", b" \xf0\x28\x8c\xbc", b" \xc0\xaf",
            b" \x80", b" \xe2\x82", b" ok \xf8\x88\x80\x80\x80"))) + b"\n",
        "utf8_bom_and_multibyte": b"\xef\xbb\xbf" + "081109 203615 148 INFO dfs.DataNode: user josé 美咲 😀 ok\n".encode() * 3,
        "nul_bytes": b"\x00\n" + b"\n".join(line.replace(b" ", b"\x00", 1) if i % 2 else line + b"\x00\x00"
                                            for i, line in enumerate(lf_lines[:200])) + b"\n\x00",
        "control_bytes": bytes(range(32)) + b"\n" + b"\x1b[31mred\x1b[0m \x7f\x08\x0c\x0b\n" + lf_lines[0] + b"\n",
        "giant_line": b"\n".join(lf_lines[:100]) + b"\n" + giant + b"\n" + b"\n".join(lf_lines[100:200]) + b"\n",
        "giant_line_no_newline": giant,
        "unmatched_lines": b"\n".join(bytes(rng.randrange(33, 127) for _ in range(rng.randrange(1, 120)))
                                      for _ in range(500)) + b"\n",
        "mostly_misfits": b"\n".join(line if i % 10 == 0 else line[rng.randrange(len(line)):]
                                     for i, line in enumerate(lf_lines)) + b"\n",
        "numeric_tokens": _numbers(),
        "repeated_line": (lf_lines[1] + b"\n") * 10_000,
        "random_bytes": rng.randbytes(65_536),
        "all_byte_values": bytes(range(256)) * 4,
    }

