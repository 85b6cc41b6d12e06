"""Signing in by one-time link, signing out, and the account page."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request
from flask.typing import ResponseReturnValue

from artifacts import accounts
from services.people import command

from . import access, kiln, limits

bp = Blueprint("signin", __name__)

MOVE_FIELD = "move_tools"  # the sign-in form's choice: "yes" moves this browser's tools

LINK_GONE = ("This sign-in link is unknown, already used or expired: each link works once. "
             f"Ask the owner of this Kiln for a new one ({command('login-link')}).")


@bp.get("/login/<token>")
def confirm(token: str) -> ResponseReturnValue:
    """A link only shows whose it is: signing in takes a click (a POST), so a
    link previewer fetching the URL does not use it up. What this browser made
    moves to the account only if the person says so here (the choice defaults to no)."""
    try:
        account, held = access.sign_in_offer(token)
    except accounts.LinkInvalid:
        return render_template("error.html", status=404, message=LINK_GONE), 404
    return render_template("signin.html", account=account, token=token, held=held)


def _tools(n: int) -> str:
    return f"{n} tool{'s' if n != 1 else ''}"


@bp.post("/login/<token>")
@limits.writes
def sign_in(token: str) -> ResponseReturnValue:
    # Only the exact answer "yes" moves anything: no choice, or any other value, moves nothing.
    move = request.form.get(MOVE_FIELD) == "yes"
    try:
        done = access.sign_in(token, move_tools=move)
    except accounts.LinkInvalid:
        return render_template("error.html", status=404, message=LINK_GONE), 404
    note = ""
    if move:
        note = f" {_tools(done.moved)} made in this browser moved to your account."
    elif done.kept:
        note = (" What this browser made and saved before stays with it, not with this account;"
                " sign out to see it again.")
    flash(f"Signed in as {done.account.name}.{note}")
    return redirect("/", 303)


@bp.post("/logout")
@limits.writes
def sign_out() -> ResponseReturnValue:
    access.sign_out()
    flash("Signed out of this browser.")
    return redirect("/", 303)


@bp.post("/logout/everywhere")
@limits.writes
def sign_out_everywhere() -> ResponseReturnValue:
    ended = access.sign_out(everywhere=True)
    flash(f"Signed out everywhere ({ended} sign-in{'s' if ended != 1 else ''} ended).")
    return redirect("/", 303)


@bp.get("/account")
def account_page() -> ResponseReturnValue:
    k, account = kiln(), access.account()
    if account is None:
        abort(404, "You are not signed in.")
    return render_template("account.html", account=account, budget=k.budgets.of(account.id),
                           sign_ins=accounts.sign_ins(k.store, account.id))
