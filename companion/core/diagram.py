"""State diagrams drawn from a flow's own declaration (Mermaid text, no Graphviz).

Transitions that leave from (nearly) every step ("I want to run", "I need a
break") would hide the flow's shape in a drawing; they are listed apart,
under the diagram, as "from any step".
"""

from __future__ import annotations

from typing import Any

from companion.core.flow import Flow

ANYWHERE_FROM = 6  # a trigger with at least this many source steps is "from any step"


def _sources(transition: dict[str, Any]) -> list[str]:
    source = transition["source"]
    return [source] if isinstance(source, str) else list(source)


def mermaid(flow: type[Flow]) -> str:
    """Markdown: a Mermaid ``stateDiagram-v2`` of ``flow`` and its from-any-step triggers."""
    lines = ["```mermaid", "stateDiagram-v2", "  direction LR"]
    anywhere: list[tuple[str, str]] = []
    edges: dict[tuple[str, str], list[str]] = {}
    for transition in flow.TRANSITIONS:
        sources = _sources(transition)
        trigger, dest = str(transition["trigger"]), str(transition["dest"])
        if len(sources) >= ANYWHERE_FROM:
            anywhere.append((trigger, dest))
            continue
        for source in sources:
            edges.setdefault((source, dest), []).append(trigger)
    lines.append(f"  [*] --> {flow.INITIAL}")
    lines += [f"  {a} --> {b}: {' / '.join(dict.fromkeys(t))}" for (a, b), t in edges.items()]
    ends = {str(t["dest"]) for t in flow.TRANSITIONS} - {
        s for t in flow.TRANSITIONS for s in _sources(t)}
    lines += [f"  {end} --> [*]" for end in sorted(ends)]
    lines.append("```")
    if anywhere:
        lines += ["", "From any step: " + ", ".join(f"{t} → `{d}`" for t, d in anywhere) + "."]
    return "\n".join(lines) + "\n"
