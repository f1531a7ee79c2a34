"""The model validation page: which purchase model predicts this organisation's customers best.

Shows the comparison the latest recompute made to choose its model (stored on the run's
parameters) and, for a date the analyst picks, computes the same comparison on demand (two
aggregate queries and two fits; kept ten minutes in Django's cache per organisation and date).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from vinculo.analytics import charts, selectors
from vinculo.analytics.services.validation import ValidationError, holdout_validation
from vinculo.core.db import ReplicaReadMixin
from vinculo.core.permissions import RoleRequiredMixin

MODEL_NAMES = {"bg_nbd": "BG/NBD", "mbg_nbd": "MBG/NBD", "pareto_nbd": "Pareto/NBD"}
CACHE_SECONDS = 600


def rows(result: dict[str, Any]) -> dict[str, Any]:
    """The comparison as the template shows it: one row per bucket, one per model."""
    keys = list(result["predicted"])
    buckets = [{"label": label, "customers": result["customers"][i],
                "actual": result["actual"][i],
                "predicted": [result["predicted"][k][i] for k in keys]}
               for i, label in enumerate(result["buckets"])]
    models = [{"key": k, "name": MODEL_NAMES.get(k, k), "mae": result["mae"][k],
               "correlation": result["correlation"][k],
               "total": result["total_predicted"][k], "best": k == result["best"]}
              for k in keys]
    failed = [{"name": MODEL_NAMES.get(k, k), "error": e} for k, e in result["errors"].items()]
    return {"buckets": buckets, "models": models, "failed": failed,
            "weeks": result["duration"], "best_name": MODEL_NAMES.get(result["best"] or "")}


class ValidationView(ReplicaReadMixin, RoleRequiredMixin, View):
    permission = "analytics.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        run = selectors.latest_done_run()
        chosen = (run.parameters or {}).get("model") if run else None
        context: dict[str, Any] = {"run": run, "chosen": chosen,
                                   "chosen_name": MODEL_NAMES.get((chosen or {}).get("name")),
                                   "chosen_mae": ((chosen or {}).get("validation") or {})
                                   .get("mae", {}).get((chosen or {}).get("name"))}
        raw = request.GET.get("holdout_from", "").strip()
        result = None
        if raw:
            today = timezone.localdate()
            try:
                holdout_from = dt.date.fromisoformat(raw)
            except ValueError:
                context["error"] = _("Enter a valid date.")
                return render(request, "analytics/validation.html", context, status=400)
            context["holdout_from"] = holdout_from
            if not dt.date(1900, 1, 1) < holdout_from <= today:
                context["error"] = _("Choose a date in the past: the holdout runs from it "
                                     "to today.")
                return render(request, "analytics/validation.html", context, status=400)
            org = request.user.organization
            key = f"analytics:validation:{org.pk}:{holdout_from}:{today}"
            result = cache.get(key)
            if result is None:
                try:
                    result = holdout_validation(organization_id=org.pk,
                                                holdout_from=holdout_from, as_of=today)
                except ValidationError:
                    context["error"] = _(
                        "The history cannot be split at that date: the models need customers "
                        "who bought at least twice before it. Choose a later date.")
                    return render(request, "analytics/validation.html", context, status=400)
                cache.set(key, result, CACHE_SECONDS)
        elif chosen and chosen.get("validation"):
            result = chosen["validation"]
            context["holdout_from"] = dt.date.fromisoformat(result["holdout_from"])
        if result is not None:
            context.update({"result": result, "table": rows(result),
                            "as_of": dt.date.fromisoformat(result["as_of"]),
                            "chart": charts.holdout(result, MODEL_NAMES)})
        return render(request, "analytics/validation.html", context)
