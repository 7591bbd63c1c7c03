"""Policies as data: an ordered list of rules loaded from YAML into frozen models.

The core knows one condition set (none: every message matches) and one action (deliver).
Later issues add conditions and actions without changing how a policy is loaded or applied.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from pydantic import Field

from gateway.config import Frozen
from gateway.errors import ConfigError
from gateway.pipeline import Decision, Detection, Envelope, ParsedMessage
from gateway.yamlconf import load_yaml, validate


class Conditions(Frozen):
    """What a message must look like for a rule to match; empty matches everything."""


class Rule(Frozen):
    """One rule: a name, its conditions and the action it takes."""

    name: str = Field(min_length=1)
    description: str = ""
    when: Conditions = Conditions()
    action: str


class PolicyDocument(Frozen):
    """A whole policy file."""

    version: Literal[1]
    description: str = ""
    rules: tuple[Rule, ...] = Field(min_length=1)


def load_policy(path: Path, known_actions: Iterable[str]) -> PolicyDocument:
    """Load and check a policy file; every error names the file, line and column."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{source}: policy file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{source}: cannot read: {exc}") from None
    data, marks = load_yaml(text, source)
    if not isinstance(data, dict):
        raise ConfigError(f"{source}:1:1: a policy must be a mapping with 'version' and 'rules'")
    doc = validate(PolicyDocument, data, marks, source)
    known = set(known_actions)
    seen: set[str] = set()
    for i, rule in enumerate(doc.rules):
        line, col = marks.get(("rules", i, "action"), marks.get(("rules", i), (1, 1)))
        if rule.action not in known:
            raise ConfigError(
                f"{source}:{line}:{col}: rules.{i}.action: unknown action {rule.action!r} "
                f"(known: {', '.join(sorted(known))})"
            )
        if rule.name in seen:
            line, col = marks.get(("rules", i, "name"), (line, col))
            raise ConfigError(
                f"{source}:{line}:{col}: rules.{i}.name: duplicate rule name {rule.name!r}"
            )
        seen.add(rule.name)
    return doc


class RulePolicy:
    """First matching rule wins. See Policy."""

    name = "rules"

    def __init__(self, document: PolicyDocument) -> None:
        self.document = document

    def decide(self, message: ParsedMessage, envelope: Envelope, detection: Detection) -> Decision:
        """See Policy."""
        # The core's conditions are empty, so the first rule always matches.
        rule = self.document.rules[0]
        return Decision(
            action=rule.action,
            rule=rule.name,
            reason=rule.description or "matched",
            hits=(f"{rule.name}: matched",),
        )
