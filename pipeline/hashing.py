"""Cache keys: a step is redone because one of its inputs changed, for no other reason.

A key is the SHA-256 of a JSON document listing the inputs. Source inputs are
a module plus every project module it imports, found by reading the code
(``ast``), so nothing needs importing to know whether work is stale.
"""

from __future__ import annotations

import ast
import hashlib
import json
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from pipeline.paths import ROOT

__all__ = ["digest", "file_sha256", "parse_source", "source_closure", "third_party_imports", "explain_change",
           "package_version"]

PROJECT_PACKAGES = ("sims", "scenes", "pipeline")


def digest(inputs: dict[str, Any]) -> str:
    """The key of a step: a stable hash of its inputs."""
    blob = json.dumps(inputs, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _module_file(dotted: str) -> Path | None:
    parts = dotted.split(".")
    if parts[0] not in PROJECT_PACKAGES:
        return None
    base = ROOT.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def parse_source(text: str, filename: str = "<unknown>") -> ast.Module:
    """A source's syntax tree, parsed once per process for each distinct text (callers must not change it):
    planning the whole book reads the same kit modules for every one of its ~75 jobs."""
    try:
        return _parse_text(text)
    except SyntaxError as exc:
        exc.filename = filename
        raise


@lru_cache(maxsize=1024)
def _parse_text(text: str) -> ast.Module:
    return ast.parse(text)


def _imported_modules(path: Path) -> frozenset[str]:
    return _imports_in(path.read_text(encoding="utf-8"), str(path))


@lru_cache(maxsize=1024)
def _imports_in(text: str, filename: str = "<unknown>") -> frozenset[str]:
    tree = parse_source(text, filename)
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            # `from sims import perceptron` imports a submodule
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return frozenset(names)


def source_closure(path: Path) -> list[tuple[str, str]]:
    """``(relative path, sha256)`` of a module and every project module it imports."""
    path = path.resolve()
    seen: dict[Path, str] = {}
    todo = [path]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        data = current.read_bytes()  # one read: the hash and the imports come from the same text
        seen[current] = hashlib.sha256(data).hexdigest()
        for name in _imports_in(data.decode("utf-8"), str(current)):
            found = _module_file(name)
            if found is not None and found not in seen:
                todo.append(found)
    return sorted((str(p.relative_to(ROOT)), h) for p, h in seen.items())


def third_party_imports(path: Path) -> set[str]:
    """Top-level names of the non-project modules imported anywhere in ``path``'s source closure."""
    found: set[str] = set()
    for rel, _ in source_closure(path):
        for name in _imported_modules(ROOT / rel):
            top = name.split(".")[0]
            if top not in PROJECT_PACKAGES:
                found.add(top)
    return found


def explain_change(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What differs between two input documents of a key, one line per input, in words."""
    lines = []
    for name in sorted(set(old) | set(new)):
        before, after = old.get(name), new.get(name)
        if before == after:
            continue
        if name == "sources" and isinstance(before, list) and isinstance(after, list):
            was, now = dict(map(tuple, before)), dict(map(tuple, after))
            lines += [f"source changed: {f}" for f in sorted(was.keys() & now.keys()) if was[f] != now[f]]
            lines += [f"source added: {f}" for f in sorted(now.keys() - was.keys())]
            lines += [f"source no longer used: {f}" for f in sorted(was.keys() - now.keys())]
        elif isinstance(before, dict) and isinstance(after, dict):
            for key in sorted(set(before) | set(after)):
                if before.get(key) != after.get(key):
                    lines.append(f"{name} {key}: {_short(before.get(key))} → {_short(after.get(key))}")
        else:
            lines.append(f"{name}: {_short(before)} → {_short(after)}")
    return lines


def _short(value: Any) -> str:
    text = "(none)" if value is None else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 24 else text[:21] + "…"


@lru_cache(maxsize=None)
def package_version(name: str) -> str | None:
    """Installed version of a distribution, without importing it."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def class_slice(path: Path, keep: str, drop: set[str]) -> str:
    """The module's source without the classes in ``drop`` (unless ``keep`` inherits from them).

    A chapter module holds several scenes; editing one of them should make
    only that one stale, while an edit to a shared helper above them makes
    all of them stale.
    """
    return _slice(path.read_text(encoding="utf-8"), str(path), keep, frozenset(drop))[0]


@lru_cache(maxsize=256)
def _slice(text: str, filename: str, keep: str, drop: frozenset[str]) -> tuple[str, tuple[ast.stmt, ...]]:
    """``class_slice``'s text, and the module's top-level statements that remain in it."""
    tree = parse_source(text, filename)
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    ancestors, todo = set(), [keep]
    while todo:
        node = classes.get(todo.pop())
        for base in node.bases if node else ():
            if isinstance(base, ast.Name) and base.id not in ancestors:
                ancestors.add(base.id)
                todo.append(base.id)
    lines = text.splitlines(keepends=True)
    removed = [n for name, n in classes.items() if name in drop and name != keep and name not in ancestors]
    for node in sorted(removed, key=lambda n: n.lineno, reverse=True):
        start = (node.decorator_list[0].lineno if node.decorator_list else node.lineno) - 1
        del lines[start:node.end_lineno]
    kept = tuple(node for node in tree.body if not any(node is gone for gone in removed))
    return "".join(lines), kept


def _used_imports(statements: tuple[ast.stmt, ...]) -> set[str]:
    """The project modules some top-level statements import *and use*: an import whose names never appear
    in the code does not count (a chapter module's other scenes may need it, this one does not)."""
    used: set[str] = set()
    imports: list[tuple[str, str, str]] = []
    for statement in statements:
        names, found = _names_and_imports(statement)
        used |= names
        imports += found
    modules: set[str] = set()
    for module, bound, alias in imports:
        if bound in used:
            modules.update((module, f"{module}.{alias}") if module else (alias,))
    return modules


@lru_cache(maxsize=8192)
def _names_and_imports(statement: ast.stmt) -> tuple[frozenset[str], tuple[tuple[str, str, str], ...]]:
    """What one statement (with everything inside it) reads by name, and what it imports, as
    ``(from-module or "", the name it binds, the imported name)``: walked once per parsed statement."""
    names, imports = set(), []
    for node in ast.walk(statement):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            imports += [(node.module, alias.asname or alias.name, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            imports += [("", (alias.asname or alias.name).split(".")[0], alias.name) for alias in node.names]
    return frozenset(names), tuple(imports)


def scene_sources(path: Path, scene: str, sibling_scenes: set[str]) -> list[tuple[str, str]]:
    """Like ``source_closure``, but for one scene of a chapter module.

    The module counts only with ``scene``'s own class (the other scenes cut out), and of the
    project modules it imports only those that this slice uses, each with its own closure: editing
    the heat-map helper re-renders the scenes that draw heat maps, and no other. A module that
    holds other book scenes (a figures module importing its chapter module's helpers) counts
    without those scenes, so editing one scene never re-renders another.
    """
    found: dict[str, str] = {}
    _add_slice(path.resolve(), scene, sibling_scenes, found)
    return sorted(found.items())


def _add_slice(path: Path, scene: str, siblings: set[str], found: dict[str, str]) -> None:
    rel = str(path.relative_to(ROOT))
    if rel in found:
        return
    sliced, kept = _slice(path.read_text(encoding="utf-8"), str(path), scene, frozenset(siblings))
    found[rel] = hashlib.sha256(sliced.encode("utf-8")).hexdigest()
    for name in sorted(_used_imports(kept)):
        module = _module_file(name)
        if module is None:
            continue
        if _defines_any(module, siblings):
            _add_slice(module.resolve(), "", siblings, found)
        else:
            found.update(source_closure(module))


def _defines_any(path: Path, names: set[str]) -> bool:
    tree = parse_source(path.read_text(encoding="utf-8"), str(path))
    return any(isinstance(node, ast.ClassDef) and node.name in names for node in tree.body)
