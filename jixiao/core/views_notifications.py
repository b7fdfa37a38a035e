"""The signed-in user's notifications: a list, and marking them read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from jixiao.core.notifications import mark_read, notifications_of

PER_PAGE = 50


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(notifications_of(request.user), PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "core/notifications.html",
        {"page_obj": page, "query_without_page": "", "notifications": list(page)},
    )


@login_required
@require_POST
def notification_read(request: HttpRequest) -> HttpResponse:
    """Mark one notification read (`id`; with `follow`, then open its link), or all of them
    (`all`)."""
    raw = request.POST.get("id", "")
    if raw.isdigit():
        mark_read(user=request.user, ids=[int(raw)])
        if request.POST.get("follow") != "1":
            return redirect("notifications:list")
        target = notifications_of(request.user).filter(pk=int(raw)).values_list("url", flat=True)
        url = target.first() or ""
        if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
            return redirect(url)
    elif request.POST.get("all") == "1":
        mark_read(user=request.user)
    return redirect("notifications:list")
