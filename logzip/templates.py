"""Templates of a whole log or archive, as a log parser reports them.

Blocks learn their templates independently; here templates with the same text
are merged and numbered ``E1, E2, ...`` in order of first appearance. Lines
with no template (or outside the header format) count under ``E0``.
"""
from dataclasses import dataclass
from typing import BinaryIO, Dict, Iterator, Optional

from .codec.block import analyze_block, model_templates, stored_block
from .codec.header import HeaderFormat
from .container import MAGIC, iter_members
from .pipeline import DEFAULT_BLOCK_SIZE, BlockCutter, read_chunks

UNMATCHED_TEXT = "<no template>"


@dataclass
class Event:
    event_id: str
    text: str
    count: int = 0


class TemplateCatalog:
    """Templates merged by text over many blocks, with the number of lines of each."""

    def __init__(self):
        self.unmatched = Event("E0", UNMATCHED_TEXT)
        self._events: Dict[str, Event] = {}

    def _event(self, text: str) -> Event:
        event = self._events.get(text)
        if event is None:
            event = self._events[text] = Event(f"E{len(self._events) + 1}", text)
        return event

    def events_of_lines(self, stream: BinaryIO, log_format: Optional[str] = None) -> Iterator[Event]:
        """Yield the event of every line of ``stream``, a plain log or a ``.logz`` archive."""
        for templates, line_ids in self._blocks(stream, log_format):
            events = [self._event(template.text) for template in templates]
            events.append(self.unmatched)  # index -1
            for tid in line_ids.tolist():
                event = events[tid]
                event.count += 1
                yield event

    @staticmethod
    def _blocks(stream: BinaryIO, log_format: Optional[str]):
        if stream.peek(len(MAGIC))[:len(MAGIC)] == MAGIC:
            for member in iter_members(stream):
                for _, payload in member.blocks():
                    yield stored_block(payload).line_templates()
            return
        header = HeaderFormat.parse(log_format) if log_format else None
        cutter = BlockCutter(DEFAULT_BLOCK_SIZE)
        for chunk in read_chunks(stream):
            for raw in cutter.feed(chunk):
                yield model_templates(analyze_block(raw, header))
        rest = cutter.flush()
        if rest:
            yield model_templates(analyze_block(rest, header))

    def by_count(self) -> list:
        events = sorted(self._events.values(), key=lambda event: -event.count)
        if self.unmatched.count:
            events.append(self.unmatched)
        return events
