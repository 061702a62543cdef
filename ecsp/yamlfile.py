"""YAML parsed with its lines: each value's line and source text, anchors, merge keys, duplicate keys.

Used by the loader (ecsp.yaml) and the importer (Copilot manifests): a problem found in the
data can then name the line where the user wrote it, and invalid YAML is a
:class:`~ecsp.errors.ConfigError` naming the line to fix.
"""

from __future__ import annotations

from typing import Any

import yaml

from ecsp.errors import ConfigError, ConfigProblem

Loc = tuple[str | int, ...]
MERGE_TAG = "tag:yaml.org,2002:merge"


class Lines:
    """Maps a path in the YAML document to the line where it is written (1-based).

    Also keeps each scalar's source text (to quote what the user wrote, not what YAML made
    of it: ``yes`` rather than ``True``) and the duplicate keys, which YAML silently drops.
    """

    def __init__(self) -> None:
        self.keys: dict[Loc, int] = {}
        self.text: dict[Loc, str] = {}
        self.duplicates: list[tuple[Loc, int, int]] = []  # (loc, line, first line)
        self._seen: set[int] = set()

    def walk(self, node: yaml.Node, loc: Loc = ()) -> None:
        # Anchors make a graph, not a tree: visit each node once (no loops, no blow-up).
        if id(node) in self._seen:
            return
        self._seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            self.text[loc] = node.value
        elif isinstance(node, yaml.MappingNode):
            merged: list[yaml.Node] = []
            for key_node, value_node in node.value:
                if key_node.tag == MERGE_TAG:
                    merged.append(value_node)
                    continue
                key: str | int = key_node.value if isinstance(key_node, yaml.ScalarNode) else repr(key_node.value)
                line = key_node.start_mark.line + 1
                if (*loc, key) in self.keys:
                    self.duplicates.append(((*loc, key), line, self.keys[(*loc, key)]))
                    continue
                self.keys[(*loc, key)] = line
                self.walk(value_node, (*loc, key))
            # After the explicit keys: a merge (<<: *anchor) only fills in keys the mapping lacks.
            for value_node in merged:
                self._merge(value_node, loc)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self.keys[(*loc, i)] = item.start_mark.line + 1
                self.walk(item, (*loc, i))

    def _merge(self, node: yaml.Node, loc: Loc) -> None:
        """Keys a ``<<: *anchor`` merge brings in: lines only where the mapping does not set them itself."""
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        for source in sources:
            if not isinstance(source, yaml.MappingNode):
                continue
            for key_node, _ in source.value:
                if isinstance(key_node, yaml.ScalarNode) and (*loc, key_node.value) not in self.keys:
                    self.keys[(*loc, key_node.value)] = key_node.start_mark.line + 1

    def line(self, loc: Loc) -> int | None:
        """The line of the deepest written prefix of ``loc`` (a missing key points at its parent)."""
        for end in range(len(loc), 0, -1):
            found = self._get(self.keys, loc[:end])
            if found is not None:
                return found
        return 1  # nothing of it is written (an empty `{}` document): the problem is the document's

    def source(self, loc: Loc) -> str | None:
        return self._get(self.text, loc)

    @staticmethod
    def _get(table: dict[Loc, Any], loc: Loc) -> Any:
        # YAML keys are recorded as written; pydantic reports a key `1:` as the int 1.
        return table.get(loc, table.get(tuple(str(p) for p in loc)))


def parse(text: str, filename: str, loader: type[yaml.SafeLoader] = yaml.SafeLoader) -> tuple[Lines, Any]:
    """The document's lines and its data, parsed once (``loader``: e.g. one that reads YAML 1.2 booleans).

    Invalid YAML is a :class:`ConfigError` naming the line to fix.
    """
    lines = Lines()
    try:
        parser = loader(text)
    except yaml.reader.ReaderError as e:  # checked up front, before any parsing
        line = text[: e.position].count("\n") + 1
        raise ConfigError([ConfigProblem(filename, line, "", f"invalid YAML: the control character "
                                         f"U+{e.character:04X} is not allowed; remove it")]) from None
    try:
        node = parser.get_single_node()
        if node is None:
            return lines, None
        # Walk before constructing: construction flattens merge keys (<<) into the mapping in place.
        lines.walk(node)
        data = parser.construct_document(node)
    except yaml.MarkedYAMLError as e:
        # An unclosed bracket is found at the end of the file or lines later; the line to fix is where it opened.
        unclosed = _unclosed(e)
        mark = (e.context_mark if unclosed else None) or e.problem_mark or e.context_mark
        raise ConfigError([ConfigProblem(filename, mark.line + 1 if mark else None, "", _yaml_message(e))]) from None
    except RecursionError:
        raise ConfigError([ConfigProblem(filename, None, "", "the document is nested too deeply to be a project "
                                         "file")]) from None
    except yaml.YAMLError as e:
        raise ConfigError([ConfigProblem(filename, None, "", f"invalid YAML: {e}")]) from None
    finally:
        parser.dispose()
    return lines, data


def _unclosed(e: yaml.MarkedYAMLError) -> bool:
    """A '{' or '[' still open when the file (or its line) ended: `{cidr: x, nat: none` without the '}'."""
    if "flow" not in (e.context or "") or not e.context_mark:
        return False
    problem = e.problem or ""
    later = e.problem_mark is not None and e.problem_mark.line > e.context_mark.line
    return "<stream end>" in problem or (problem.startswith("expected ','") and later)


def _yaml_message(e: yaml.MarkedYAMLError) -> str:
    problem = e.problem or ""
    column = f" (column {e.problem_mark.column + 1})" if e.problem_mark else ""
    if _unclosed(e) and "<stream end>" not in problem and e.context_mark and e.problem_mark:
        opened = "{" if "mapping" in (e.context or "") else "["
        closing = "}" if opened == "{" else "]"
        return (f"invalid YAML (column {e.context_mark.column + 1}): this '{opened}' is not closed on its line "
                f"(YAML read on to line {e.problem_mark.line + 1}); add the matching '{closing}'")
    if "<stream end>" in problem and "flow" in (e.context or "") and e.context_mark:
        opened = "{" if "mapping" in (e.context or "") else "["
        closing = "}" if opened == "{" else "]"
        return (f"invalid YAML (column {e.context_mark.column + 1}): this '{opened}' is never closed; add the "
                f"matching '{closing}'")
    if problem.startswith("expected ','") and problem.endswith(("got '}'", "got ']'")) and e.context_mark:
        opened, closing = ("{", "}") if "mapping" in (e.context or "") else ("[", "]")
        return (f"invalid YAML{column}: '{problem[-2]}' closes the '{opened}' of column {e.context_mark.column + 1}; "
                f"use '{closing}' (or close the inner bracket first)")
    if problem.startswith("expected ','") and "flow" in (e.context or ""):
        return (f"invalid YAML{column}: a ',' is missing between two entries of a {{...}} or [...]; write "
                "{a: 1, b: 2}")
    if "'\\t'" in problem:
        return f"invalid YAML{column}: a tab; YAML indents with spaces only, so replace the tab with spaces"
    if "mapping values are not allowed" in problem:
        return (f"invalid YAML{column}: a ':' where no key may start; fix the indentation, or quote a value "
                "that contains ': '")
    if "expected <block end>" in problem:
        if e.problem_mark and e.context_mark and "mapping" in (e.context or ""):
            # The line YAML stops at can be fine and the culprit a line above it: name the mapping's indent.
            here, keys = e.problem_mark.column, e.context_mark.column
            return (f"invalid YAML{column}: this line is indented {here} spaces, but the mapping it is in (from "
                    f"line {e.context_mark.line + 1}) indents its keys {keys}; indent keys of the same mapping "
                    "equally, here or on the lines above")
        return (f"invalid YAML{column}: this line's indentation does not match the lines above; indent keys "
                "of the same mapping equally")
    if "could not find expected ':'" in problem:
        return f"invalid YAML{column}: a key without ':' (or an unclosed quote above); write key: value"
    if "found undefined alias" in problem or "found undefined tag" in problem:
        return f"invalid YAML{column}: {problem}; define the anchor (&name) before using it (*name)"
    what = " ".join(x for x in (e.context, problem) if x)
    return f"invalid YAML{column}: {what}; check the indentation, brackets and quoting here and on the line above"
