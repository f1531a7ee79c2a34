"""What a fit reports when the data cannot identify a parameter.

Every fit keeps its log-parameters in a finite box. A likelihood that keeps rising towards a
limit model (no drop-out at all, identical customers) then stops on the box's edge instead of
walking on for ever; :func:`check_box` turns that into :class:`NotIdentified`, which names the
parameters, says what the edge means, and carries the boundary fit for whoever wants it.
"""

from __future__ import annotations

from typing import Any

# What running to an edge means, per model and parameter ("high"/"low").
_MEANING = {
    ("Pareto/NBD", "beta", "high"): "no drop-out is visible in this data",
    ("Pareto/NBD", "s", "high"): "every customer seems to drop out at the same rate",
    ("Pareto/NBD", "s", "low"): "drop-out rates look extremely uneven",
    ("Pareto/NBD", "r", "high"): "every customer seems to buy at the same rate",
    ("Pareto/NBD", "alpha", "high"): "every customer seems to buy at the same rate",
}


class NotIdentified(ValueError):
    """The maximum of the likelihood lies on the edge of the parameter box."""

    def __init__(self, message: str, *, model: str, parameters: list[str], fit: Any):
        super().__init__(message)
        self.model = model
        self.parameters = parameters
        self.fit = fit


def check_box(
    model: str,
    fitted: Any,
    theta: dict[str, float],
    box: dict[str, tuple[float, float]],
    *,
    margin: float = 1e-3,
) -> None:
    """Raise :class:`NotIdentified` if a log-parameter is within ``margin`` of its bound."""
    edges = {}
    for name, value in theta.items():
        low, high = box[name]
        if value >= high - margin:
            edges[name] = "high"
        elif value <= low + margin:
            edges[name] = "low"
    if not edges:
        return
    names = sorted(edges, key=list(theta).index)
    reasons = sorted({_MEANING.get((model, n, e), "") for n, e in edges.items()} - {""})
    if model == "Pareto/NBD" and ("beta" in edges or "s" in edges):
        names = sorted(set(names) | {"s", "beta"}, key=list(theta).index)
    params = fitted.params
    detail = ", ".join(f"{n} = {params[n]:.4g}" for n in names)
    lead = f"{'; '.join(reasons)}: " if reasons else ""
    raise NotIdentified(
        f"{lead}{model}'s {' and '.join(names)} are not identified "
        f"(the likelihood still rises at the edge of the search box: {detail})",
        model=model, parameters=names, fit=fitted)
