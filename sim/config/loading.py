"""Loading scenario files: TOML parsing, ``extends`` inheritance and dotted overrides.

``load_scenario(path, overrides)`` is the one entry point. It reads the TOML file with
:mod:`tomllib` (a scenario file is data: nothing in it is executed), follows ``extends`` chains
(relative to the file that names them, cycles and over-deep chains rejected), applies
``--set dotted.path=value`` overrides (agencies addressed by name), and validates the result
against :class:`sim.config.schema.Scenario`.

Every failure raises :class:`ScenarioError`, whose text is the one-line input error every command
prints: ``<file>: <dotted.field>: <what is wrong> (got <value>)``. A file that can be read and
merged is checked whole: every bad ``--set`` and every problem of the merged data (in plain
words, :mod:`sim.config.checking`) come in one error, one line each.

Merging rules for ``extends``: tables merge key by key, recursively; ``[[agencies]]`` merge by
``name`` (a child entry with an existing name updates that agency, a new name appends one, and
``drop = true`` removes one); any other value in the child replaces the parent's.

Every file is read as a regular file of at most 16 MB (:mod:`sim.config.reading`): a FIFO, a
device or a directory is refused before anything is read. A UTF-8 byte-order mark is dropped.

An ``extends`` may name any file, but one outside the folder of the file that starts the chain
(an absolute path, or ``../`` leading out of it) prints ``note: <file>: extends reads <path>,
outside the folder of …`` on stderr, so a scenario shared by someone else cannot read a file
elsewhere unnoticed.

Which values an error line shows: only values the user wrote — in the file they named, or with
``--set``. A problem with a key or value that came from an inherited file (an ``extends``
parent, at any depth) is reported against that file by its dotted name, without ``(got …)``:
an ``extends`` pointing at a secrets file in TOML form must not copy a secret into a terminal
or a log. Which file set which value is tracked through the merge, agencies by name.
"""

from __future__ import annotations

import copy
import hashlib
import json
import sys
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from sim.config.capacity import accounts_of, explicit_collectors
from sim.config.capacity import scale_collectors as scale
from sim.config.checking import FIELD_IN_MESSAGE, Origins, validate
from sim.config.errors import ScenarioError
from sim.config.names import unknown_name
from sim.config.reading import UnreadableFile, read_capped
from sim.config.schema import Scenario

__all__ = ["FIELD_IN_MESSAGE", "MAX_EXTENDS_DEPTH", "MAX_FILE_BYTES", "ScenarioError",
           "apply_override", "load_scenario", "merge", "parse_override", "read_toml",
           "scenario_hash", "validate"]

MAX_EXTENDS_DEPTH = 16
MAX_FILE_BYTES = 16 * 1024 * 1024
BYTE_ORDER_MARK = "\ufeff"
MAX_PATH_PARTS = 16
"""Most parts a ``--set`` dotted path may have (the deepest scenario field has four)."""
MAX_VALUE_NESTING = 32
"""Deepest nesting of arrays and tables a ``--set`` value may have."""


# --------------------------------------------------------------------------- reading


def read_toml(path: Path) -> dict[str, Any]:
    """Read one TOML file, turning every failure into a :class:`ScenarioError`.

    The file must be a regular file of at most :data:`MAX_FILE_BYTES` (checked while reading,
    :func:`sim.config.reading.read_capped`); a UTF-8 byte-order mark at its start, as some
    Windows editors write, is dropped.
    """
    label = str(path)
    try:
        raw = read_capped(path, MAX_FILE_BYTES)
    except UnreadableFile as exc:
        raise ScenarioError(label, None, exc.problem, unopenable=True) from None
    try:
        text = raw.decode("utf-8").removeprefix(BYTE_ORDER_MARK)
    except UnicodeDecodeError:
        raise ScenarioError(label, None, "not a UTF-8 text file") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(label, None, f"invalid TOML: {exc}") from None
    except RecursionError:
        raise ScenarioError(label, None, "invalid TOML: nested too deeply") from None


def _resolve_extends(path: Path, chain: tuple[Path, ...] = (),
                     origins: Origins | None = None) -> dict[str, Any]:
    """The merged data of ``path`` and its ``extends`` chain; ``origins`` (if given) gets
    the file that set each table and value, by path (agencies by name)."""
    origins = {} if origins is None else origins
    try:
        path = path.resolve() if path.exists() else path
    except OSError as exc:
        where, field = (str(chain[-1]), "extends") if chain else (str(path), None)
        raise ScenarioError(where, field, f"cannot open: {exc.strerror}",
                            path.name if len(chain) <= 1 else None) from None
    if path in chain:
        cycle = " -> ".join(p.name for p in (*chain, path))
        raise ScenarioError(str(chain[-1]), "extends", f"cyclic extends: {cycle}")
    if len(chain) >= MAX_EXTENDS_DEPTH:
        raise ScenarioError(str(chain[-1]), "extends",
                            f"extends chain deeper than {MAX_EXTENDS_DEPTH} files")
    data = read_toml(path)
    echo = not chain  # values are shown only from the file the user named
    source = None if echo else str(path)
    parent_name = data.pop("extends", None)
    if parent_name is None:
        _record_origins(origins, data, source)
        return data
    if not isinstance(parent_name, str) or not parent_name:
        raise ScenarioError(str(path), "extends", "must be a file name",
                            parent_name if echo else None)
    parent_path = path.parent / parent_name
    try:
        parent = _resolve_extends(parent_path, (*chain, path), origins)
    except ScenarioError as exc:
        if exc.file == str(parent_path) and exc.unopenable:
            tried = f" (looked for {parent_path.resolve()})" if echo else ""
            raise ScenarioError(str(path), "extends", exc.problem + tried,
                                parent_name if echo else None) from None
        raise
    root = (chain[0] if chain else path).parent
    if not parent_path.resolve().is_relative_to(root):
        print(f"note: {path}: extends reads {parent_path.resolve()}, outside the folder "
              f"of {(chain[0] if chain else path).name} ({root})", file=sys.stderr)
    _record_origins(origins, data, source)
    return merge(parent, data, str(path), echo=echo)


def _record_origins(origins: Origins, data: Mapping[str, Any], label: str | None,
                    prefix: tuple[str, ...] = ()) -> None:
    for key, value in data.items():
        where = (*prefix, str(key))
        origins[where] = label
        if key == "agencies" and not prefix and isinstance(value, list):
            for entry in value:
                if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                    origins[(*where, entry["name"])] = label
                    _record_origins(origins, entry, label, (*where, entry["name"]))
        elif isinstance(value, dict):
            _record_origins(origins, value, label, where)


# --------------------------------------------------------------------------- merging


def merge(parent: Mapping[str, Any], child: Mapping[str, Any], label: str, *,
          echo: bool = True) -> dict[str, Any]:
    """Merge ``child`` over ``parent`` following the rules in the module docstring; an error
    names ``label`` and shows the offending value only if ``echo``."""
    result = copy.deepcopy(dict(parent))
    for key, value in child.items():
        if key == "agencies" and isinstance(value, list) and isinstance(result.get(key), list):
            result[key] = _merge_agencies(result[key], value, label, echo)
        elif isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merge(result[key], value, label, echo=echo)
        else:
            result[key] = copy.deepcopy(value)
    return result


def _merge_agencies(parent: list[Any], child: list[Any], label: str, echo: bool) -> list[Any]:
    merged = [copy.deepcopy(a) for a in parent]
    seen: set[Any] = set()
    for index, entry in enumerate(child):
        if not isinstance(entry, dict) or "name" not in entry:
            raise ScenarioError(label, f"agencies.{index}", "each agency needs a name",
                                entry if echo else None)
        name = entry["name"]
        if isinstance(name, str) and entry.get("drop") is not True:  # drop, then re-add: fine
            if name in seen:
                raise ScenarioError(label, f"agencies.{name}",
                                    "agency named twice in this file",
                                    name if echo else None)
            seen.add(name)
        elif isinstance(name, str):
            seen.discard(name)
        position = next((i for i, a in enumerate(merged)
                         if isinstance(a, dict) and a.get("name") == name), None)
        drop = entry.get("drop", False)
        if not isinstance(drop, bool):
            raise ScenarioError(label, f"agencies.{name}.drop", "must be true or false",
                                drop if echo else None)
        entry = {k: v for k, v in entry.items() if k != "drop"}
        if drop:
            if position is None:
                raise ScenarioError(label, f"agencies.{name}.drop",
                                    "no inherited agency of that name to drop")
            merged.pop(position)
            continue
        if position is None:
            merged.append(copy.deepcopy(entry))
        else:
            merged[position] = merge(merged[position], entry, label, echo=echo)
    return merged


# --------------------------------------------------------------------------- overrides


def parse_override(text: str) -> tuple[list[str], Any]:
    """Split ``dotted.path=value`` and parse the value as a TOML value (else a plain string)."""
    if "=" not in text:
        raise ScenarioError("--set", None, "expected KEY=VALUE", text)
    key, raw = text.split("=", 1)
    key = key.strip()
    parts = key.split(".")
    if len(parts) > MAX_PATH_PARTS:
        raise ScenarioError("--set", None, f"dotted path has {len(parts)} parts, at most "
                            f"{MAX_PATH_PARTS}", key)
    if not key or any(not p for p in parts):
        raise ScenarioError("--set", key or None, "expected a dotted path like portfolio.accounts",
                            text)
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    except RecursionError:
        value = None
    if value is None or _nesting(value) > MAX_VALUE_NESTING:
        raise ScenarioError("--set", key, f"value nested more than {MAX_VALUE_NESTING} deep",
                            raw.strip())
    return parts, value


def _nesting(value: Any) -> int:
    """How deeply arrays and tables nest in ``value`` (0 for a plain value), counted without
    recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_VALUE_NESTING:
            break
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest


def apply_override(data: dict[str, Any], parts: list[str], value: Any, label: str) -> None:
    """Set ``value`` at the dotted path ``parts`` in ``data``, agencies addressed by name."""
    node: Any = data
    walked: list[str] = []
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        walked.append(part)
        if isinstance(node, list):
            match = [a for a in node if isinstance(a, dict) and a.get("name") == part]
            if not match:
                names = [str(a.get("name")) for a in node if isinstance(a, dict)]
                raise ScenarioError(label, ".".join(walked),
                                    unknown_name("agency", "agencies", part, names))
            if last:
                raise ScenarioError(label, ".".join(walked), "cannot replace a whole agency")
            node = match[0]
            continue
        if not isinstance(node, dict):
            raise ScenarioError(label, ".".join(walked[:-1]), "is not a table", node)
        if last:
            node[part] = value
        else:
            if part not in node:
                node[part] = {}
            node = node[part]


def load_scenario(path: str | Path, overrides: Iterable[str] = (), *,
                  scale_collectors: bool = False) -> Scenario:
    """Read, merge, override and validate a scenario file.

    A file that cannot be read or merged raises its one problem; otherwise every bad
    ``--set`` and every problem of the merged data are raised together
    (:meth:`ScenarioError.several`). With ``scale_collectors``, each agency's collectors
    follow ``portfolio.accounts`` from the file's value to the overridden one
    (:mod:`sim.config.capacity`)."""
    path = Path(path)
    origins: Origins = {}
    data = _resolve_extends(path, origins=origins)
    file_accounts = accounts_of(data)
    problems: list[ScenarioError] = []
    set_paths: list[tuple[str, ...]] = []
    for text in overrides:  # every bad override is reported, with the file's own problems
        try:
            parts, value = parse_override(text)
            changed = copy.deepcopy(data)
            apply_override(changed, parts, value, str(path))
        except ScenarioError as exc:
            problems.append(exc)
            continue
        data = changed
        origins[tuple(parts)] = None
        set_paths.append(tuple(parts))
    if scale_collectors:
        scale(data, file_accounts, explicit_collectors(set_paths),
              explicit_collectors(set_paths, "fixed_monthly_cost"))
    try:
        scenario = validate(data, str(path), origins)
    except ScenarioError as exc:
        problems.append(exc)
    if problems:
        raise ScenarioError.several(problems)
    return scenario


def scenario_hash(scenario: Scenario) -> str:
    """A stable SHA-256 of the resolved scenario (for manifests and result stores).

    The ``[calibration]`` table is provenance the model never reads, so it is left out: a
    calibrated scenario hashes like the same values written by hand."""
    canonical = json.dumps(scenario.model_dump(mode="json", exclude={"calibration"}),
                           sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
