"""Fixtures giving tests the shared public corpora (``../shared/corpora``).

Tests that ask for ``corpora_dir`` or ``read_corpus`` are skipped when the corpora are absent
and are marked ``corpora`` (``pytest -m 'not corpora'`` leaves them out).  ``LOGZIP_CORPORA``
points the fixtures at another directory.

    def test_round_trip(read_corpus):
        data = read_corpus("loghub-full/HPC.log.zst")      # bytes, decompressed

    from corpora.shared import loghub_2k_formats      # {} when the corpora are absent
    @pytest.mark.parametrize("system", sorted(loghub_2k_formats()))
    def test_system(system, read_corpus, loghub_2k_systems):
        data, log_format = read_corpus(f"loghub-2k/{system}_2k.log"), loghub_2k_systems[system]

Under CI (``$CI`` set) Hypothesis draws the same examples on every run, so that a landing
never hangs on a new random draw; local runs keep exploring, and what they find becomes
a fixed test.
"""
import os

import pytest
from hypothesis import settings

from corpora.shared import corpora_dir as find_corpora_dir
from corpora.shared import loghub_2k_formats, read_corpus as read_corpus_file

CORPORA_FIXTURES = {"corpora_dir", "read_corpus", "loghub_2k_systems"}

settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


def pytest_collection_modifyitems(items):
    for item in items:
        if CORPORA_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.corpora)


@pytest.fixture(scope="session")
def corpora_dir():
    """Path of the shared corpora; skips the test when they are absent."""
    root = find_corpora_dir()
    if root is None:
        pytest.skip("shared corpora absent (../shared/corpora or $LOGZIP_CORPORA)")
    return root


@pytest.fixture(scope="session")
def read_corpus(corpora_dir):
    """A function: path relative to the corpora -> its bytes (``.zst`` decompressed), cached."""
    cache = {}

    def read(relpath):
        if relpath not in cache:
            path = corpora_dir / relpath
            if not path.is_file():
                raise FileNotFoundError(f"no corpus file {relpath!r} under {corpora_dir}")
            cache[relpath] = read_corpus_file(path)
        return cache[relpath]

    return read


@pytest.fixture(scope="session")
def loghub_2k_systems(corpora_dir):
    """Loghub system -> header format, for each loghub-2k sample present (from formats.tsv)."""
    return loghub_2k_formats(corpora_dir)
