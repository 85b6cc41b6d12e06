"""The eval pages: stored runs, one run's cases side by side per model, and two
runs compared. Runs are made by `flask --app app eval`; these pages only read."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask.typing import ResponseReturnValue

from artifacts import evals_store
from evals.report import compare, final_version, run_report

from . import access, kiln

bp = Blueprint("evals", __name__)


@bp.get("/evals")
def runs() -> ResponseReturnValue:
    access.require_member()
    return render_template("evals.html", runs=evals_store.list_runs(kiln().store))


@bp.get("/evals/<int:run_id>")
def run(run_id: int) -> ResponseReturnValue:
    access.require_member()
    return render_template("eval_run.html", report=run_report(kiln().store, run_id),
                           final_version=final_version)


@bp.get("/evals/compare")
def comparison() -> ResponseReturnValue:
    access.require_member()
    a, b = request.args.get("a", type=int), request.args.get("b", type=int)
    if not a or not b:
        abort(400, "Choose two runs to compare (?a=RUN&b=RUN).")
    return render_template("eval_compare.html", comparison=compare(kiln().store, a, b))
