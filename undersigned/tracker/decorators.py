"""Who may use the organizer screens of the tracker.

For now any staff user may: a full roles system (owner, editor, moderator per statement)
comes with the organizer console, and this check will then ask for an editor's role.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

View = Callable[..., HttpResponse]


def organizer_required(view: View) -> View:
    """Anonymous visitors are sent to log in; signed-in users who are not staff get a 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_staff:
            return render(request, "tracker/manage/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper
