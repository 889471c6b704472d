"""The review page, /duplicates/: one group at a time, keep / not duplicates / undo.

The buttons are plain forms (they work without scripts); duplicates/static/duplicates/review.js
adds the keys and moves between groups without reloading.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from duplicates import resolving
from duplicates.groups import groups_of
from duplicates.models import Resolution
from focal.auth import AuthenticatedHttpRequest
from focal.ids import parse_ids

MAX_GROUP = 500


@login_required
def review(request: AuthenticatedHttpRequest) -> HttpResponse:
    groups = groups_of(request.user)
    everywhere = [g for g in groups if not g.shared_over_private]  # as keep_suggested does
    context = {
        "groups": groups,
        "everywhere": len(everywhere),
        "to_trash": sum(len(g.photos) - 1 for g in everywhere),
        "left": len(groups) - len(everywhere),
        "can_undo": Resolution.objects.filter(owner=request.user, undone__isnull=True).exists(),
    }
    return render(request, "duplicates/review.html", context)


def _ids(request: AuthenticatedHttpRequest) -> list[int]:
    return parse_ids(request.POST.getlist("photo"), name="photo", limit=MAX_GROUP)


@login_required
@require_POST
def keep(request: AuthenticatedHttpRequest) -> HttpResponse:
    keeper = parse_ids(request.POST.getlist("keeper"), name="keeper", limit=1)
    if not keeper:
        return redirect("duplicates:review")
    outcome = resolving.keep(request.user, _ids(request), keeper[0])
    messages.success(request, outcome.message)
    return redirect("duplicates:review")


@login_required
@require_POST
def keep_suggested(request: AuthenticatedHttpRequest) -> HttpResponse:
    outcome = resolving.keep_suggested_everywhere(request.user)
    messages.success(request, outcome.message)
    return redirect("duplicates:review")


@login_required
@require_POST
def not_duplicates(request: AuthenticatedHttpRequest) -> HttpResponse:
    outcome = resolving.not_duplicates(request.user, _ids(request))
    messages.success(request, outcome.message)
    return redirect("duplicates:review")


@login_required
@require_POST
def undo(request: AuthenticatedHttpRequest) -> HttpResponse:
    outcome = resolving.undo(request.user)
    messages.success(request, outcome.message)
    return redirect("duplicates:review")
