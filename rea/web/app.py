"""The Flask application of ``rea serve``: routes, access checks, and error answers.

Pages are rendered by Jinja with autoescaping on, and the screening page fills itself from JSON
with ``textContent`` only, so every record field is shown as text, never run. Every route but
``/login/TOKEN`` and the static files needs a valid link; every POST needs the CSRF token.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlencode, urlsplit

from flask import Flask, Response, g, jsonify, redirect, render_template, request, send_file
from werkzeug.exceptions import HTTPException

from rea.errors import NotFound, ReaError, ScreeningError
from rea.pipeline.screening import REASON_KEYS
from rea.pipeline.serve import PhaseProgress, WebReview, WorkPage, hash_token
from rea.screening import Decision, Phase, Reviewer, StudyType, WorkView
from rea.web.security import (
    COOKIE,
    CSRF_FIELD,
    CSRF_HEADER,
    HEADERS,
    CsrfKeys,
    same_origin,
)

F = TypeVar("F", bound=Callable[..., Any])

#: How many decisions the "My decisions" page lists at once.
PER_PAGE = 50
MAX_NOTE = 4000


class Refused(ReaError):
    """A request the server will not answer: no valid link, or no CSRF token."""


@dataclass(frozen=True)
class Viewer:
    reviewer: Reviewer
    link_hash: str
    phases: tuple[Phase, ...]


def _status(exc: ReaError) -> int:
    if isinstance(exc, Refused):
        return 403
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, ScreeningError):
        return 409
    return 400


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def parse_phase(value: str) -> Phase:
    try:
        return Phase(value)
    except ValueError:
        raise NotFound(
            f"unknown phase {value!r}", hint="phases: title_abstract, full_text"
        ) from None


def _decision(value: object, allowed: tuple[Decision, ...] = tuple(Decision)) -> Decision:
    for d in allowed:
        if value == d.value:
            return d
    names = ", ".join(d.value for d in allowed)
    raise ReaError(f"decision must be one of {names}, not {value!r}")


def _work_id(value: object) -> int:
    if isinstance(value, bool):
        raise ReaError(f"work_id must be a whole number, not {value!r}")
    if isinstance(value, int) and value > 0:
        return value
    if isinstance(value, str) and value.isdigit() and len(value) < 19:
        return int(value)
    raise ReaError(f"work_id must be a whole number, not {value!r}")


def _text(value: object, name: str, limit: int = MAX_NOTE) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ReaError(f"{name} must be text")
    if len(value) > limit:
        raise ReaError(f"{name} is longer than {limit} characters")
    return value.strip()


def _json_body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ReaError("the request must be a JSON object (Content-Type: application/json)")
    return data


# --- what the pages get ------------------------------------------------------------------------


def work_json(review: WebReview, work: WorkView) -> dict[str, Any]:
    h = review.highlighter
    url = work.url if urlsplit(work.url).scheme in ("http", "https") else ""
    return {
        "work_id": work.work_id,
        "title": h.runs(work.title or "(no title)"),
        "authors": list(work.authors),
        "year": work.year,
        "journal": work.journal,
        "abstract": [{"label": label, "runs": h.runs(text)} for label, text in work.abstract],
        "sources": list(work.sources),
        "doi": work.doi,
        "pmid": work.pmid,
        "url": url,
        "notes": list(work.notes),
        "others": list(work.others),
    }


def page_json(review: WebReview, page: WorkPage) -> dict[str, Any]:
    full = page.full_text
    return {
        "phase": page.phase.value,
        "reviewer": page.reviewer,
        "done": page.done,
        "total": page.total,
        "message": page.message,
        "last_decided": page.last_decided,
        "written": page.written,
        "question": None
        if page.question is None
        else {
            "kind": page.question.kind,
            "work_id": page.question.work_id,
            "text": page.question.text,
        },
        "work": work_json(review, page.work) if page.work else None,
        "full_text": None
        if full is None
        else {
            "state": full.state,
            "location": full.location,
            "link": full.link,
            "study_type": full.study_type,
        },
    }


def curve_points(progress: PhaseProgress, width: int = 560, height: int = 240) -> str:
    """The recall curve as SVG polyline points, at most about 400 of them."""
    curve = progress.curve
    last_x = max(curve[-1][0], 1)
    top = max(max(y for _, y in curve), 1)
    step = max(1, len(curve) // 400)
    picked = [*curve[::step], curve[-1]]
    return " ".join(
        f"{40 + x * (width - 50) / last_x:.1f},{height - 30 - y * (height - 50) / top:.1f}"
        for x, y in picked
    )


# --- the application ---------------------------------------------------------------------------


def create_app(review: WebReview, *, csrf: CsrfKeys | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=256 * 1024, JSON_SORT_KEYS=False)
    keys = csrf or CsrfKeys()

    # --- access ---

    def viewer() -> Viewer:
        token = request.cookies.get(COOKIE, "")
        reviewer = review.reviewer_of(token)
        if reviewer is None:
            raise Refused(
                "this browser has no valid personal link for the review",
                hint="open your personal link again; ask the review's lead for a new one "
                "(rea serve invite NAME)",
            )
        return Viewer(reviewer, hash_token(token), tuple(review.phases_of(reviewer.name)))

    def signed_in(func: F) -> F:
        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            g.viewer = viewer()
            if request.method == "POST":
                given = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD)
                if not keys.valid(g.viewer.link_hash, given) or not same_origin(
                    request.headers.get("Origin"), request.host_url
                ):
                    raise Refused(
                        "the request has no valid CSRF token",
                        hint="reload the page and try again",
                    )
            return func(*args, **kwargs)

        return cast(F, wrapper)

    def me() -> Viewer:
        return cast(Viewer, g.viewer)

    def adjudicator() -> Viewer:
        v = me()
        if not v.reviewer.adjudicates:
            raise Refused(f"{v.reviewer.name} is not an adjudicator of this review")
        return v

    def screener(phase: Phase) -> Viewer:
        v = me()
        if phase not in v.phases:
            raise Refused(f"{v.reviewer.name} does not screen at {phase.label}")
        return v

    @app.context_processor
    def _globals() -> dict[str, Any]:
        v: Viewer | None = g.get("viewer")
        return {
            "viewer": v,
            "csrf_token": keys.token_for(v.link_hash) if v else "",
            "review_id": review.paths.id,
            "phases": list(Phase),
        }

    @app.after_request
    def _headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.errorhandler(ReaError)
    def _rea_error(exc: ReaError) -> tuple[Any, int]:
        status = _status(exc)
        if _wants_json():
            return jsonify({"error": exc.message(), "hint": exc.hint or ""}), status
        return render_template("error.html", message=exc.message(), hint=exc.hint), status

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> tuple[Any, int]:
        status = exc.code or 500
        message = f"{exc.name}: {exc.description}" if exc.description else str(exc.name)
        if _wants_json():
            return jsonify({"error": message, "hint": ""}), status
        return render_template("error.html", message=message, hint=None), status

    # --- pages ---

    @app.get("/")
    @signed_in
    def home() -> Any:
        v = me()  # the adjudicator's link opens the conflicts page, a screener's their queue
        if v.reviewer.adjudicates:
            return redirect(f"/conflicts/{Phase.TITLE_ABSTRACT.value}", 303)
        if v.phases:
            return redirect(f"/screen/{v.phases[0].value}", 303)
        return redirect("/progress", 303)

    @app.get("/login/<token>")
    def login(token: str) -> Any:
        reviewer = review.reviewer_of(token)
        if reviewer is None:
            raise Refused(
                "this link is not valid: it was revoked, replaced by a newer one, or mistyped",
                hint="ask the review's lead for a new link (rea serve invite NAME)",
            )
        response = redirect("/", 303)
        response.set_cookie(
            COOKIE,
            token,
            httponly=True,
            samesite="Lax",
            secure=request.scheme == "https",
            path="/",
        )
        return response

    @app.post("/logout")
    @signed_in
    def logout() -> Any:
        response = redirect("/signed-out", 303)
        response.delete_cookie(COOKIE, path="/")
        return response

    @app.get("/signed-out")
    def signed_out() -> Any:
        return render_template(
            "error.html", message="You are signed out.", hint="open your personal link again"
        )

    @app.get("/screen/<phase>")
    @signed_in
    def screen(phase: str) -> Any:
        p = parse_phase(phase)
        v = screener(p)
        reasons = review.config.reasons_for(p)
        return render_template(
            "screen.html",
            phase=p,
            reasons=list(zip(REASON_KEYS, reasons, strict=False)),
            reason_required=review.config.phases[p].reason_required,
            criteria=review.config.criteria,
            maybe_counts=review.config.maybe_counts_as_include,
            reviewer=v.reviewer.name,
            warning=review.warning,
        )

    # --- screening API ---

    @app.get("/api/screen/<phase>")
    @signed_in
    def api_current(phase: str) -> Any:
        p = parse_phase(phase)
        v = screener(p)
        fresh = request.args.get("fresh") == "1"
        return jsonify(page_json(review, review.current(v.reviewer.name, p, fresh=fresh)))

    @app.post("/api/screen/<phase>/decide")
    @signed_in
    def api_decide(phase: str) -> Any:
        p = parse_phase(phase)
        v = screener(p)
        body = _json_body()
        page = review.decide(
            v.reviewer.name,
            p,
            _work_id(body.get("work_id")),
            _decision(body.get("decision")),
            _text(body.get("reason"), "reason", 100),
        )
        return jsonify(page_json(review, page))

    @app.post("/api/screen/<phase>/undo")
    @signed_in
    def api_undo(phase: str) -> Any:
        p = parse_phase(phase)
        v = screener(p)
        body = _json_body()
        asked = body.get("work_id")
        page = review.undo(
            v.reviewer.name,
            p,
            work_id=None if asked is None else _work_id(asked),
            confirmed=body.get("confirmed") is True,
            withdraw_later=body.get("withdraw_later") is True,
        )
        return jsonify(page_json(review, page))

    @app.post("/api/screen/<phase>/skip")
    @signed_in
    def api_skip(phase: str) -> Any:
        p = parse_phase(phase)
        v = screener(p)
        body = _json_body()
        page = review.skip(v.reviewer.name, p, _work_id(body.get("work_id")))
        return jsonify(page_json(review, page))

    @app.post("/api/screen/<phase>/note")
    @signed_in
    def api_note(phase: str) -> Any:
        p = parse_phase(phase)
        v = screener(p)
        body = _json_body()
        page = review.note(
            v.reviewer.name, p, _work_id(body.get("work_id")), _text(body.get("note"), "note")
        )
        return jsonify(page_json(review, page))

    @app.post("/api/study-type")
    @signed_in
    def api_study_type() -> Any:
        v = screener(Phase.FULL_TEXT)
        body = _json_body()
        value = body.get("study_type")
        try:
            chosen = StudyType(str(value))
        except ValueError:
            raise ReaError(f"study_type must be review, primary or grey, not {value!r}") from None
        page = review.study_type(v.reviewer.name, _work_id(body.get("work_id")), chosen)
        return jsonify(page_json(review, page))

    # --- my decisions ---

    @app.get("/decisions")
    @signed_in
    def decisions() -> Any:
        v = me()
        args = request.args
        phase = parse_phase(args["phase"]) if args.get("phase") else None
        decision = args.get("decision") or None
        reason = args.get("reason") or None
        query = (args.get("q") or "").strip()[:200] or None
        page_text = args.get("page", "1")
        page = int(page_text) if page_text.isdigit() and 0 < int(page_text) < 10**6 else 1
        total, rows = review.own_decisions(
            v.reviewer.name,
            phase=phase,
            decision=decision,
            reason=reason,
            query=query,
            page=page,
            per_page=PER_PAGE,
        )
        keep = {k: x for k, x in args.items() if k in ("phase", "decision", "reason", "q") and x}
        pages = max(1, -(-total // PER_PAGE))
        return render_template(
            "decisions.html",
            rows=rows,
            total=total,
            page=page,
            pages=pages,
            prev_url="/decisions?" + urlencode({**keep, "page": page - 1}) if page > 1 else "",
            next_url="/decisions?" + urlencode({**keep, "page": page + 1}) if page < pages else "",
            filters=keep,
            reasons=review.config.reasons,
            done=args.get("done", "")[:300],
            here="/decisions?" + urlencode({**keep, "page": page}),
        )

    @app.post("/decisions/<phase>/<int:work_id>")
    @signed_in
    def change_decision(phase: str, work_id: int) -> Any:
        p = parse_phase(phase)
        v = screener(p)
        form = request.form
        result = review.change_decision(
            v.reviewer.name,
            p,
            work_id,
            _decision(form.get("decision")),
            reason=_text(form.get("reason"), "reason", 100),
            note=_text(form.get("note"), "note"),
            withdraw_later=form.get("withdraw_later") == "1",
        )
        back = form.get("back", "")
        if not back.startswith("/decisions") or back.startswith("//"):
            back = "/decisions"
        sep = "&" if "?" in back else "?"
        return redirect(f"{back}{sep}{urlencode({'done': result.message})}", 303)

    # --- conflicts ---

    @app.get("/conflicts/<phase>")
    @signed_in
    def conflicts(phase: str) -> Any:
        p = parse_phase(phase)
        v = adjudicator()
        found = review.conflicts(v.reviewer.name, p)
        return render_template(
            "conflicts.html",
            phase=p,
            conflicts=found,
            runs=review.highlighter.runs,
            reasons=list(zip(REASON_KEYS, review.config.reasons_for(p), strict=False)),
            reason_required=review.config.phases[p].reason_required,
            done=request.args.get("done", "")[:300],
        )

    @app.post("/conflicts/<phase>/<int:work_id>")
    @signed_in
    def resolve(phase: str, work_id: int) -> Any:
        p = parse_phase(phase)
        v = adjudicator()
        form = request.form
        result = review.resolve(
            v.reviewer.name,
            p,
            work_id,
            _decision(form.get("decision"), (Decision.INCLUDE, Decision.EXCLUDE)),
            reason=_text(form.get("reason"), "reason", 100),
            note=_text(form.get("note"), "note"),
        )
        return redirect(f"/conflicts/{p.value}?{urlencode({'done': result.message})}", 303)

    # --- progress ---

    @app.get("/progress")
    @signed_in
    def progress() -> Any:
        v = me()
        found = review.progress(v.reviewer.name)
        return render_template("progress.html", progress=found, curve_points=curve_points)

    # --- full texts ---

    @app.get("/fulltext/<int:work_id>")
    @signed_in
    def fulltext(work_id: int) -> Any:
        v = me()
        path = review.fulltext_file(v.reviewer.name, work_id)
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        inline = kind in ("application/pdf", "text/plain")
        response = send_file(
            path, mimetype=kind if inline else "application/octet-stream",
            as_attachment=not inline, download_name=path.name,
        )  # fmt: skip
        response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
        return response

    return app
