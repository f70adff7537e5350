"""State diagrams drawn from a flow's own declaration (Mermaid, no Graphviz needed)."""

from __future__ import annotations

from typing import Any

from transitions.extensions import GraphMachine

from companion.core.flow import Flow


class _Model:
    """A bare model: the diagram needs states and transitions, not behaviour."""


def mermaid(flow: type[Flow], title: str = "") -> str:
    """Mermaid ``stateDiagram-v2`` text for ``flow``'s STATES and TRANSITIONS."""
    names = [s if isinstance(s, str) else s["name"] for s in flow.STATES]
    model: Any = _Model()
    GraphMachine(model=model, states=names, transitions=flow.TRANSITIONS,
                 initial=flow.INITIAL, graph_engine="mermaid", auto_transitions=False,
                 title=title, show_conditions=False)
    return str(model.get_graph().draw(None))
