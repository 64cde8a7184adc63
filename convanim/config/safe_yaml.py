"""Read YAML text once, safely, with limits checked as it is read: nesting, aliases, duplicate keys, tags.

``load_yaml(text, source)`` returns the document's data and the line of every mapping key (``"stride"``,
``"render.fps"``, ``"layers[2].kernel_size"``). It builds the data itself from the parser's events
(``yaml.CSafeLoader``'s libyaml parser when PyYAML has it, the pure-Python ``SafeLoader`` otherwise: the same
errors on the same lines), so every limit is checked before the memory is spent:

* nesting deeper than ``MAX_DEPTH`` is refused at the line that opens the level too many (neither Python's
  recursion limit nor the C stack is ever reached);
* more than ``MAX_DATA_ELEMENTS`` values, counting an alias as the whole value it stands for, is refused at
  the alias or value that crosses the limit (a "billion laughs" document costs microseconds);
* an alias of a list or mapping that is still open (a recursive structure) is refused;
* a key written twice in one mapping is refused, naming both lines; a key must be a string (``~: 2`` or
  ``yes: 1``, read by YAML 1.1 as null and true, are refused with a hint);
* only the plain YAML types (strings, numbers, booleans, null, lists, mappings; timestamps and binary as
  PyYAML's safe loader makes them) are built; any other tag (``!!python/...``) is refused.

Merge keys (``<<: *defaults``) work as in PyYAML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from ..core.errors import ConfigError
from ..core.limits import MAX_DATA_ELEMENTS, MAX_DEPTH, MAX_FILE_BYTES, count

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_T = "tag:yaml.org,2002:"
SCALAR_TAGS = frozenset(_T + t for t in ("null", "bool", "int", "float", "str", "timestamp", "binary"))
MERGE_TAG = _T + "merge"


@dataclass(slots=True)
class _Open:
    """A list or mapping being read."""

    value: Any  # list or dict
    path: str  # the key path of the collection: "", "render", "layers[2]"
    line: int
    anchor: str | None
    start: int  # elements counted before it opened
    depth: int  # of its deepest descendant, relative to it
    key: Any = None  # a mapping's pending key (after a key, before its value)
    has_key: bool = False
    key_line: int = 0
    key_lines: dict[Any, int] = field(default_factory=dict)  # explicit keys written so far and their lines
    merges: list[Any] = field(default_factory=list)


def _line(mark: Any) -> int:
    return mark.line + 1 if mark is not None else 1


def _shown(event: Any) -> str:
    text = event.value if isinstance(event, yaml.ScalarEvent) else "a list or mapping"
    return text if isinstance(text, str) and text else repr(text)


class _Reader:
    """Events -> data, one pass, every limit checked on the way."""

    def __init__(self, text: str, source: str):
        self.source = source
        self.loader = Loader(text)
        self.lines: dict[str, int] = {}
        self.anchors: dict[str, tuple[Any, int, int]] = {}  # name -> (value, elements, depth)
        self.opening: set[str] = set()  # anchors of collections still open
        self.stack: list[_Open] = []
        self.elements = 0

    def fail(self, line: int, key: str | None, message: str) -> ConfigError:
        return ConfigError(self.source, line, key, message)

    def read(self) -> Any:
        loader = self.loader
        try:
            loader.get_event()  # stream start
            if loader.check_event(yaml.StreamEndEvent):
                return None
            loader.get_event()  # document start
            data = self.document()
            loader.get_event()  # document end
            if not loader.check_event(yaml.StreamEndEvent):
                raise self.fail(_line(loader.peek_event().start_mark), None,
                                "expected one YAML document, found another (remove the second ---)")
            return data
        finally:
            loader.dispose()

    # -- the document

    def document(self) -> Any:
        while True:
            event = self.loader.get_event()
            if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                self.open(event)
                continue
            if isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                value, done = self.close()
            elif isinstance(event, yaml.AliasEvent):
                value, done = self.alias(event), not self.stack
            else:
                value, done = self.scalar(event), not self.stack
            if done:
                return "<<" if isinstance(value, _Merge) else value
            self.deliver(value, event)

    def count(self, n: int, line: int) -> None:
        self.elements += n
        if self.elements > MAX_DATA_ELEMENTS:
            raise self.fail(line, self.path(), f"the document would hold more than {count(MAX_DATA_ELEMENTS)} "
                                               "values (an alias counts as everything it repeats); convanim's "
                                               "documented limit")

    def path(self) -> str | None:
        """The key path of the value being read now, for messages."""
        if not self.stack:
            return None
        top = self.stack[-1]
        if isinstance(top.value, dict):
            key = str(top.key) if top.has_key else None
            return (f"{top.path}.{key}" if top.path else key) if key is not None else (top.path or None)
        return f"{top.path}[{len(top.value)}]" if top.path else None

    def child_path(self) -> str:
        top = self.stack[-1] if self.stack else None
        if top is None:
            return ""
        if isinstance(top.value, dict):
            return f"{top.path}.{top.key}" if top.path else str(top.key)
        return f"{top.path}[{len(top.value)}]"

    def check_depth(self, extra: int, line: int) -> None:
        if len(self.stack) + extra > MAX_DEPTH:
            raise self.fail(line, self.path(), f"lists and mappings nested deeper than {MAX_DEPTH} levels "
                                               "(convanim's documented limit)")

    # -- values

    def open(self, event: Any) -> None:
        line = _line(event.start_mark)
        mapping = isinstance(event, yaml.MappingStartEvent)
        tag = event.tag
        if tag not in (None, "!", _T + ("map" if mapping else "seq")):
            raise self.fail(line, self.path(), f"unsupported YAML tag {tag!r} (convanim reads plain lists and "
                                               "mappings only)")
        self.check_depth(1, line)
        self.count(1, line)
        path = self.child_path()
        if mapping and self.stack and isinstance(self.stack[-1].value, list):
            self.lines[path] = line  # an entry of a list that is a mapping: layers[2]
        if event.anchor is not None:
            self.opening.add(event.anchor)
        self.stack.append(_Open(value={} if mapping else [], path=path, line=line, anchor=event.anchor,
                                start=self.elements - 1, depth=0))

    def close(self) -> tuple[Any, bool]:
        top = self.stack.pop()
        value = top.value
        for merged in top.merges:  # explicit keys win over merged ones; earlier merges over later
            for k, v in merged.items():
                if k not in top.key_lines:
                    value.setdefault(k, v)
        if top.anchor is not None:
            self.opening.discard(top.anchor)
            self.anchors[top.anchor] = (value, self.elements - top.start, top.depth + 1)
        if self.stack:
            self.stack[-1].depth = max(self.stack[-1].depth, top.depth + 1)
        return value, not self.stack

    def alias(self, event: Any) -> Any:
        line = _line(event.start_mark)
        if event.anchor in self.opening:
            raise self.fail(line, self.path(), f"the alias *{event.anchor} refers to a list or mapping that "
                                               "contains it (a recursive structure)")
        if event.anchor not in self.anchors:
            raise self.fail(line, self.path(), f"the alias *{event.anchor} names no anchor &{event.anchor} above it")
        value, elements, depth = self.anchors[event.anchor]
        self.check_depth(depth, line)
        self.count(elements, line)
        if self.stack:
            self.stack[-1].depth = max(self.stack[-1].depth, depth)
        return value

    def scalar(self, event: Any) -> Any:
        line = _line(event.start_mark)
        self.count(1, line)
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.loader.resolve(yaml.ScalarNode, event.value, event.implicit)
        if tag == MERGE_TAG:
            value: Any = _Merge()
        elif tag not in SCALAR_TAGS:
            raise self.fail(line, self.path(), f"unsupported YAML tag {tag!r} (convanim reads plain values only)")
        else:
            node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, style=event.style)
            try:
                value = self.loader.yaml_constructors[tag](self.loader, node)
            except (yaml.YAMLError, ValueError, OverflowError) as err:
                problem = getattr(err, "problem", None) or str(err)
                raise self.fail(line, self.path(), f"invalid {tag.rsplit(':', 1)[-1]} value {event.value!r}: "
                                                   f"{problem}") from None
        if event.anchor is not None:
            self.anchors[event.anchor] = (value, 1, 0)
        return value

    def deliver(self, value: Any, event: Any) -> None:
        """Put a finished value into the open list or mapping."""
        top = self.stack[-1]
        if isinstance(value, _Merge) and (isinstance(top.value, list) or top.has_key):
            value = "<<"  # a merge key only merges where it is a key
        if isinstance(top.value, list):
            top.value.append(value)
            return
        if not top.has_key:
            self.take_key(top, value, event)
            return
        top.has_key = False
        if isinstance(top.key, _Merge):
            self.merge(top, value, top.key_line)
        else:
            top.value[top.key] = value

    def take_key(self, top: _Open, key: Any, event: Any) -> None:
        line = _line(event.start_mark)
        if isinstance(key, _Merge):
            top.key, top.has_key, top.key_line = key, True, line
            return
        if not isinstance(key, str):
            written = _shown(event)
            hint = ""
            if isinstance(key, bool) or key is None:
                hint = f" (YAML reads {written} as {str(key).lower() if key is not None else 'null'}; quote it)"
            raise self.fail(line, top.path or None, f"the key {written} is not a name{hint}")
        path = f"{top.path}.{key}" if top.path else key
        if key in top.key_lines:
            raise self.fail(line, path, f"written twice in one mapping (lines {top.key_lines[key]} and {line})")
        top.key_lines[key] = line
        top.key, top.has_key, top.key_line = key, True, line
        self.lines[path] = line

    def merge(self, top: _Open, value: Any, line: int) -> None:
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(v, dict) for v in values):
            raise self.fail(line, top.path or None, "<< merges a mapping or a list of mappings into this one")
        top.merges.extend(values)


class _Merge:
    """The ``<<`` merge key (a marker, never part of the data)."""

    def __hash__(self) -> int:
        return id(self)


def load_yaml(text: str, source: str = "<yaml>") -> tuple[Any, dict[str, int]]:
    """The data of one YAML document and the 1-based line of every mapping key (by key path).

    Raises ConfigError (``source:line: key: message``) for invalid YAML and for every limit above.
    """
    if len(text) > MAX_FILE_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise ConfigError(source, None, None, f"is larger than {count(MAX_FILE_BYTES)} bytes (convanim's "
                                              "documented limit for a config)")
    reader = _Reader(text, source)
    try:
        data = reader.read()
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        problem = err.problem or str(err).splitlines()[0]
        if "nesting depth" in problem:  # libyaml's own limit, far above ours
            problem = f"lists and mappings nested deeper than {MAX_DEPTH} levels (convanim's documented limit)"
            raise ConfigError(source, _line(mark), None, problem) from None
        raise ConfigError(source, _line(mark), None, f"invalid YAML: {problem}") from None
    except yaml.reader.ReaderError as err:
        line = text.count("\n", 0, max(err.position, 0)) + 1
        raise ConfigError(source, line, None, f"invalid YAML: {err.reason} (character {err.character!r})") from None
    except yaml.YAMLError as err:
        raise ConfigError(source, None, None, f"invalid YAML: {str(err).splitlines()[0]}") from None
    return data, reader.lines
