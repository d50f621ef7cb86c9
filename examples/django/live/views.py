"""The page, the token for other clients, and the two actions that talk to eventstream."""
from functools import wraps

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from eventstream_client import EventstreamError, channel_permission_changed, send_event, token_for

from .channels import can_read_channel
from .models import ChannelGrant


def page(request):
    """The page streams from eventstream with the browser's cookies: cookies belong to a
    host, not a port, so eventstream (same host, its own port) gets Django's session cookie
    and the token cookie set here, which tells it who the user is."""
    stream = request.GET.get("stream") or "/events/?channel=news&channel=_vip"
    if not stream.startswith("/"):
        stream = "/events/?channel=news"  # only eventstream's own paths
    context = {"events": settings.EVENTSTREAM_URL, "stream": stream,
               "grants": request.user.grants.all() if request.user.is_authenticated else []}
    response = render(request, "live/page.html", context)
    cookie = settings.EVENTSTREAM_TOKEN_COOKIE
    if request.user.is_authenticated:
        response.set_cookie(cookie, token_for(request.user), max_age=settings.EVENTSTREAM_TOKEN_SECONDS,
                            httponly=True, samesite="Lax")
    elif cookie in request.COOKIES:
        response.delete_cookie(cookie, samesite="Lax")
    return response


def token(request):
    """A token for clients other than the page: eventstream listen --token, an app."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": "Log in first: tokens are for logged-in users."}, status=403)
    return JsonResponse({"token": token_for(request.user), "expires_in": settings.EVENTSTREAM_TOKEN_SECONDS})


def logged_in(view):
    """For the page's fetch() calls: a JSON refusal instead of a redirect to the login."""
    @require_POST
    @wraps(view)
    def checked(request):
        if not request.user.is_authenticated:
            return JsonResponse({"error": "Log in first."}, status=403)
        try:
            return view(request, request.POST.get("channel", ""))
        except EventstreamError as e:
            return JsonResponse({"error": str(e)}, status=502)
    return checked


@logged_in
def send(request, channel):
    """Publishes a message from Django, on a channel the sender may read."""
    if not channel or not can_read_channel(request.user, channel):
        return JsonResponse({"error": f"You may not read '{channel}', so you may not send to it."}, status=403)
    skip = [request.user.pk] if request.POST.get("skip_me") else None
    data = {"channel": channel, "from": request.user.username, "text": request.POST.get("text", "")}
    return JsonResponse({"id": send_event(channel, "message", data, skip)})


@logged_in
def revoke(request, channel):
    """Gives up a grant; eventstream then ends the user's streams on that channel."""
    ChannelGrant.objects.filter(user=request.user, channel=channel).delete()
    return JsonResponse({"ended": channel_permission_changed(request.user, channel)})
