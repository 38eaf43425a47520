"""Strict YAML for scenario files: plain data only, no aliases, tags or duplicate keys.

``yaml.safe_load`` already refuses to build Python objects, but it still expands aliases
(a few lines can ask for gigabytes: "billion laughs"), honours custom tags, and lets a
repeated key silently override the first. Scenario files need none of that, so all three
are errors here, reported with the line they occur on.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.events import AliasEvent, CollectionStartEvent, ScalarEvent
from yaml.nodes import MappingNode, Node

__all__ = ["StrictLoader", "YamlRejected", "dump", "parse"]


class YamlRejected(yaml.MarkedYAMLError):
    """A YAML construct that scenario files do not allow, with the place it occurs."""

    def __init__(self, problem: str, mark: Any) -> None:
        super().__init__(problem=problem, problem_mark=mark)


class StrictLoader(yaml.SafeLoader):
    """SafeLoader without aliases, anchors, tags or duplicate keys.

    It also reads ``1e6`` as a number: YAML 1.1 requires a dot (``1.0e6``), which surprises
    people writing population sizes.
    """

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        """Refuse aliases, anchors and explicit tags before a node is built."""
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, AliasEvent):
            raise YamlRejected(
                "aliases (*name) are not allowed; write the value out", event.start_mark
            )
        if isinstance(event, ScalarEvent | CollectionStartEvent):
            if event.anchor is not None:
                raise YamlRejected(
                    f"anchors (&{event.anchor}) are not allowed; write the value out",
                    event.start_mark,
                )
            if event.tag is not None:
                raise YamlRejected(
                    f"tags ({event.tag}) are not allowed; use plain values", event.start_mark
                )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        """Refuse a key that appears twice in one mapping."""
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool) and key is not None:
                raise YamlRejected("mapping keys must be plain scalars", key_node.start_mark)
            if key in seen:
                raise YamlRejected(f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_FLOAT_WITHOUT_DOT = re.compile(r"^[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+$")
StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float", _FLOAT_WITHOUT_DOT, list("-+0123456789")
)


def parse(text: str) -> Any:
    """Parse one YAML document with :class:`StrictLoader` (a SafeLoader: no objects)."""
    loader = StrictLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


class _PlainDumper(yaml.SafeDumper):
    """SafeDumper that never writes anchors, so its output loads with StrictLoader."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.SequenceNode:
    """Lists of scalars inline (``[3000, 30000]``), anything nested in block style."""
    flat = all(not isinstance(item, dict | list) for item in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flat)


_PlainDumper.add_representer(list, _represent_list)


def dump(data: Any) -> str:
    """Block-style YAML, keys in the given order, lists of scalars inline."""
    return yaml.dump(
        data,
        Dumper=_PlainDumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=100,
    )
