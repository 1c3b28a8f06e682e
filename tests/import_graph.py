#!/usr/bin/env python3
"""Checks the module graph of `src`: no import cycle (a parent module and its
own files included) and no import from a lower layer to a higher one.

Every path a module names (`crate::a::b`, `super::x`, `self::x`, a child's
`x::y`, and the names inside `use ...::{...}`) is resolved to the longest
module it names; an edge runs from the module to that one. Items under
`#[cfg(test)]` are left out: a test may look at its parent.

Layers, low to high: domain; the support modules (config, clock, routes,
telemetry); store, connectors and notify; service; jobs and web (which do
not import each other); startup; main. The binaries (`main.rs`, `src/bin`)
are crates of their own above the library, which they reach by its name
(`gatehouse::`), so they are not in the graph. A template's `crate::` path
is an import of the layer that compiles it: notify's for `email/`, web's
for the others. Exits 1, listing
what it found, when a cycle or an upward import is there.
"""

import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
TEMPLATES = os.path.join(ROOT, "..", "templates")

LAYER = {
    "domain": 0,
    "config": 1, "clock": 1, "routes": 1, "telemetry": 1,
    "store": 2, "connectors": 2, "notify": 2,
    "service": 3,
    "jobs": 4, "web": 4,
    "startup": 5,
}


def modules():
    found = {}
    for here, _, files in os.walk(ROOT):
        for name in files:
            if not name.endswith(".rs"):
                continue
            rel = os.path.relpath(os.path.join(here, name), ROOT)[:-3].split(os.sep)
            if rel[0] == "bin" or rel == ["main"]:
                continue
            if rel[-1] in ("mod", "lib"):
                rel = rel[:-1]
            found[tuple(rel)] = os.path.join(here, name)
    return found


def source(path):
    text = open(path, encoding="utf-8").read()
    # A type named in an attribute's string (`try_from = "super::Flag"`) is
    # an import like any other; other strings are text.
    text = re.sub(r'try_from\s*=\s*"([^"]*)"', r"try_from = \1", text)
    text = code_only(text)
    text = re.sub(r"pub\(in [^)]*\)", "", text)
    return without_tests(text)


# A raw string (`r#"…"#`), a string, a byte string, a character (`'"'`,
# `'\''`, `'\x7f'`, `'\u{7f}'`), a line or block comment (not nested: `src`
# has none): what is not code, read left to right so that none of them hides
# in another.
NOT_CODE = re.compile(
    r'b?r(#*)".*?"\1'
    r'|b?"(?:\\.|[^"\\])*"'
    r"|b?'(?:\\u\{[0-9a-fA-F]+\}|\\x[0-9a-fA-F]{2}|\\.|[^'\\\n])'"
    r"|//[^\n]*"
    r"|/\*.*?\*/",
    re.S,
)


def code_only(text):
    """The text with its strings and characters emptied and its comments
    gone, line breaks kept."""

    def blank(m):
        t = m.group(0)
        if t.startswith("//") or t.startswith("/*"):
            return "\n" * t.count("\n")
        quote = "'" if t.lstrip("b").startswith("'") else '"'
        return quote + quote + "\n" * t.count("\n")

    return NOT_CODE.sub(blank, text)


def template_imports():
    """Each template's `crate::` paths: (template, top module)."""
    found = []
    for here, _, files in os.walk(TEMPLATES):
        for name in files:
            path = os.path.join(here, name)
            text = open(path, encoding="utf-8").read()
            rel = os.path.relpath(path, TEMPLATES)
            for m in re.finditer(r"\bcrate::(\w+)", text):
                found.append((rel, m.group(1)))
    return found


def without_tests(text):
    """The text without its `#[cfg(test)]` items (a test may look at its
    parent), the code around them kept."""
    while True:
        at = text.find("#[cfg(test)]")
        if at < 0:
            return text
        brace, semi = text.find("{", at), text.find(";", at)
        if brace < 0 or 0 <= semi < brace:
            end = semi + 1 if semi >= 0 else len(text)
        else:
            depth, end = 0, len(text)
            for i in range(brace, len(text)):
                depth += {"{": 1, "}": -1}.get(text[i], 0)
                if depth == 0:
                    end = i + 1
                    break
        text = text[:at] + text[end:]


def resolve(mods, me, path):
    """The module a path names from `me`, or None for one outside the crate."""
    children = {m[-1] for m in mods if len(m) == len(me) + 1 and m[: len(me)] == me}
    head, rest = path[0], path[1:]
    if head == "crate":
        base = ()
    elif head == "self":
        base = me
    elif head == "super":
        base = me
        while path and path[0] == "super":
            base, path = base[:-1], path[1:]
        rest = path
    elif head in children:
        base, rest = me, path
    else:
        return None
    full = base + tuple(rest)
    for k in range(len(full), -1, -1):
        if full[:k] in mods:
            return full[:k]
    return None


def edges(mods):
    out = {m: set() for m in mods}
    for me, path in mods.items():
        text = source(path)
        # Declaring a file makes it part of its parent: a file that imports
        # its parent closes a cycle.
        for m in re.finditer(r"^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;", text, re.M):
            child = me + (m.group(1),)
            if child in mods:
                out[me].add(child)
        for m in re.finditer(r"\b([A-Za-z_]\w*(?:::[A-Za-z_]\w*)*)::\*", text):
            to = resolve(mods, me, m.group(1).split("::"))
            if to is not None and to != me:
                out[me].add(to)
        for m in re.finditer(r"\b([A-Za-z_]\w*(?:::[A-Za-z_]\w*)+)", text):
            to = resolve(mods, me, m.group(1).split("::"))
            if to is not None and to != me:
                out[me].add(to)
        for m in re.finditer(r"\buse\s+(\w+(?:::\w+)*)::\{([^;]*)\};", text):
            head = m.group(1).split("::")
            inner = m.group(2)
            while re.search(r"\{[^{}]*\}", inner):
                inner = re.sub(r"\{[^{}]*\}", "", inner)
            for part in inner.split(","):
                part = part.strip().split(" as ")[0].strip()
                if not part:
                    continue
                tail = [] if part == "self" else part.split("::")
                to = resolve(mods, me, head + tail)
                if to is not None and to != me:
                    out[me].add(to)
    return out


def cycles(graph):
    sys.setrecursionlimit(100000)
    index, low, stack, on, found = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(comp)

    for v in graph:
        if v not in index:
            visit(v)
    return found


def main():
    mods = modules()
    graph = edges(mods)
    name = lambda m: "::".join(m) or "crate"
    problems = []
    for comp in cycles(graph):
        members = set(comp)
        problems.append("cycle: " + ", ".join(sorted(name(m) for m in comp)))
        for a in sorted(comp):
            for b in sorted(graph[a] & members):
                problems.append(f"    {name(a)} -> {name(b)}")
    for a, targets in sorted(graph.items()):
        for b in sorted(targets):
            if not a or not b or a[0] == b[0]:
                continue
            la, lb = LAYER.get(a[0]), LAYER.get(b[0])
            if la is None or lb is None:
                problems.append(f"no layer for: {name(a)} -> {name(b)}")
            elif lb > la or (lb == la and la == 4):
                problems.append(f"upward import: {name(a)} -> {name(b)}")
    for template, top in sorted(set(template_imports())):
        owner = "notify" if template.startswith("email" + os.sep) else "web"
        layer, limit = LAYER.get(top), LAYER[owner]
        if layer is None:
            problems.append(f"no layer for: template {template} -> {top}")
        elif layer > limit or (layer == limit == LAYER["web"] and top != "web"):
            problems.append(f"upward import: template {template} ({owner}) -> {top}")
    if problems:
        print("\n".join(problems))
        sys.exit(1)
    print(f"import graph: {len(mods)} modules, no cycle, no upward import")


if __name__ == "__main__":
    main()
