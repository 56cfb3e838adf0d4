"""Template learning and matching for log contents (the part of a line after its header).

    miner = TemplateMiner(MinerConfig())
    tset = miner.fit(contents)              # list[bytes] -> TemplateSet
    m = tset.match(contents)                # m.tids, m.columns[tid][slot], m.unmatched
    tset.render(tid, m.columns[tid])        # the contents of template tid, byte for byte
"""
from .miner import MinerConfig, TemplateMiner
from .template import Matches, Template, TemplateSet

__all__ = ["TemplateMiner", "MinerConfig", "TemplateSet", "Template", "Matches"]
