#!/usr/bin/env python3
"""Write deploy/phigate.example.yaml from the configuration model (gateway.config.Settings).

Every section and every key is listed with its default, each preceded by its description: the
model class's docstring for a section, and for a key the comments written above it (and beside
it) in the model's source. So the example cannot miss a setting or drift from the defaults.

    scripts/gen_example_config.py            rewrite deploy/phigate.example.yaml
    scripts/gen_example_config.py --check    exit 1 (saying what to run) if the file is stale
    scripts/gen_example_config.py --stdout   print the generated text

A key without any comment in the model's source is an error: describe it there (a comment above
the field), then run this script again.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import inspect
import io
import sys
import textwrap
import tokenize
import types
import typing
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from gateway.config import Settings  # noqa: E402 - the checkout's package, found via sys.path

TARGET = REPO / "deploy" / "phigate.example.yaml"
CONFIG_SOURCE = (REPO / "gateway" / "config.py").resolve()
WIDTH = 96
HEADER = """\
# phigate configuration: every key is optional; this file shows every setting with its default.
# GENERATED from the configuration model (gateway/config.py) by scripts/gen_example_config.py:
# do not edit it by hand; describe a setting with a comment above its field in the model and
# run the script again (tests/deploy/test_example_config.py checks the two agree).
# Check a file with:  phigate config check /etc/phigate/phigate.yaml
# Command-line flags (--listen, --next-hop, --workers) override what is here.
# SIGHUP reloads this file; if the new version is invalid the old one stays in force.
"""


class Undescribed(Exception):
    """Settings whose source has no comment to describe them."""


@cache
def _class_comments(cls: type) -> tuple[str, dict[str, str]]:
    """A model class's docstring and, per field, the comments above and beside it in its source."""
    path = inspect.getsourcefile(cls)
    if path is None:
        return "", {}
    source = Path(path).read_text(encoding="utf-8")
    lines = source.splitlines()
    comments: dict[int, str] = {}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            comments[tok.start[0]] = tok.string.lstrip("#").strip()
    tree = ast.parse(source)
    node = next(
        (n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls.__name__), None
    )
    if node is None:
        return "", {}
    out: dict[str, str] = {}
    for stmt in node.body:
        if not (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)):
            continue
        above: list[str] = []
        line = stmt.lineno - 1
        while line >= 1 and lines[line - 1].strip().startswith("#"):
            above.insert(0, comments.get(line, ""))
            line -= 1
        end = stmt.end_lineno or stmt.lineno
        beside = [comments[n] for n in range(stmt.lineno, end + 1) if n in comments]
        text = " ".join(c for c in (*above, *beside) if c and not c.startswith("noqa"))
        out[stmt.target.id] = text
    return " ".join((ast.get_docstring(node) or "").split()), out


def _strict(model: type[BaseModel]) -> bool:
    """Whether every key of the model must be described: those of gateway/config.py. Models
    from elsewhere (the PHI engine's, detectors/config.py) are described where they have comments.
    """
    source = inspect.getsourcefile(model)
    return source is not None and Path(source).resolve() == CONFIG_SOURCE


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The model class an annotation names (through Optional and Annotated), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _model_of(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        models = [m for a in typing.get_args(annotation) if (m := _model_of(a)) is not None]
        return models[0] if len(models) == 1 else None
    return None


def _mapping_of_models(annotation: Any) -> type[BaseModel] | None:
    """The value model of a `Mapping[str, Model]` annotation, if it is one."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _mapping_of_models(typing.get_args(annotation)[0])
    if origin in (Mapping, dict, typing.Mapping) or (
        isinstance(origin, type) and issubclass(origin, Mapping)
    ):
        args = typing.get_args(annotation)
        return _model_of(args[1]) if len(args) == 2 else None
    return None


def _scalar(value: Any) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, width=10**6, allow_unicode=True)
    text = text.strip()
    if text.endswith("\n..."):
        text = text[: -len("\n...")]
    return text.strip()


def _comment(text: str, indent: str) -> list[str]:
    if not text:
        return []
    return [
        f"{indent}# {line}"
        for line in textwrap.wrap(text, WIDTH - len(indent) - 2, break_on_hyphens=False)
    ]


def _computed(info: FieldInfo) -> str | None:
    """For a default computed where the gateway runs (the host name), what it is; else None."""
    factory = info.default_factory
    if factory is None or not getattr(factory, "__name__", "").startswith("default_"):
        return None
    doc = (inspect.getdoc(factory) or "computed at start").splitlines()[0].rstrip(".")
    return doc[0].lower() + doc[1:]


def _emit_model(
    model: type[BaseModel], values: Mapping[str, Any], indent: str, where: str, out: list[str]
) -> None:
    _doc, described = _class_comments(model)
    missing: list[str] = []
    for name, info in model.model_fields.items():
        key = f"{where}.{name}" if where else name
        description = described.get(name, "")
        nested = _model_of(info.annotation)
        mapping = _mapping_of_models(info.annotation)
        section_doc = _class_comments(nested)[0] if nested is not None else ""
        if not description and not section_doc and _strict(model):
            missing.append(key)
        if nested is not None and isinstance(values.get(name), Mapping):
            out.append("")
            out.extend(_comment(description or section_doc, indent))
            out.append(f"{indent}{name}:")
            try:
                _emit_model(nested, values[name], indent + "  ", key, out)
            except Undescribed as exc:
                missing.extend(exc.args[0])
            continue
        if mapping is not None and isinstance(values.get(name), Mapping):
            out.append("")
            out.extend(_comment(description, indent))
            out.append(f"{indent}{name}:" + ("" if values[name] else " {}"))
            for entry, entry_values in values[name].items():
                out.append(f"{indent}  {entry}:")
                try:
                    _emit_model(mapping, entry_values, indent + "    ", f"{key}.{entry}", out)
                except Undescribed as exc:
                    missing.extend(exc.args[0])
            continue
        out.extend(_comment(description, indent))
        computed = _computed(info)
        value = values.get(name)
        line = f"{indent}{name}: {_scalar(value)}"
        if computed is not None:
            out.append(f"{indent}# {name}: (default: {computed})")
        elif len(line) > WIDTH and isinstance(value, list):
            out.append(f"{indent}{name}:")  # a long list, one item a line
            out.extend(f"{indent}  - {_scalar(item)}" for item in value)
        else:
            out.append(line)
    if missing:
        raise Undescribed(missing)


def generate() -> str:
    """The example configuration's text."""
    out: list[str] = HEADER.rstrip("\n").splitlines()
    out.append("")
    _emit_model(Settings, Settings().model_dump(mode="json"), "", "", out)
    # One blank line between sections, none doubled.
    text = "\n".join(out)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="only compare with the file; exit 1 if it differs"
    )
    parser.add_argument(
        "--stdout", action="store_true", help="print the generated text instead of writing it"
    )
    parser.add_argument(
        "--file",
        type=Path,
        default=TARGET,
        help="the example file to write or check (default: deploy/phigate.example.yaml)",
    )
    args = parser.parse_args(argv)
    target: Path = args.file
    shown = target.relative_to(REPO) if target.is_relative_to(REPO) else target
    try:
        text = generate()
    except Undescribed as exc:
        print(
            "gen_example_config: these settings have no description; add a comment above each "
            "field in its model (gateway/config.py):\n  " + "\n  ".join(exc.args[0]),
            file=sys.stderr,
        )
        return 2
    if args.stdout:
        sys.stdout.write(text)
        return 0
    current = target.read_text(encoding="utf-8") if target.exists() else ""
    if args.check:
        if current == text:
            return 0
        diff = difflib.unified_diff(
            current.splitlines(), text.splitlines(), str(shown), "generated", lineterm="", n=1
        )
        print(
            f"{shown} is out of date with the configuration model: "
            "run scripts/gen_example_config.py\n" + "\n".join(list(diff)[:60]),
            file=sys.stderr,
        )
        return 1
    target.write_text(text, encoding="utf-8")
    print(f"wrote {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
