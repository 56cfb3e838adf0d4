"""Template learning and matching for log contents (the part of a line after its header).

    miner = TemplateMiner(MinerConfig())
    tset = miner.fit(contents)              # list[bytes] -> TemplateSet
    m = tset.match(contents)                # m.tids, m.columns[tid][slot], m.unmatched
    tset.render(tid, m.columns[tid])        # the contents of template tid, byte for byte
"""
from .template import Matches, Template, TemplateSet


def __getattr__(name):
    """The miner on first use: a decoder needs only the templates (its import costs 4 ms)."""
    if name in ("MinerConfig", "TemplateMiner"):
        from . import miner
        return getattr(miner, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["TemplateMiner", "MinerConfig", "TemplateSet", "Template", "Matches"]
