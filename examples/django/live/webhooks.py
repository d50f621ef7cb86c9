"""The views eventstream asks (docs/protocol.md §7 for --auth-url, the channel mapping for
--channels-url). "user" is the verified token's "sub" (our user's pk) or null.

Only eventstream may ask. It forwards the stream request's Cookie and Authorization, so it
cannot prove itself with a header of its own; these views take a POST from loopback
(eventstream runs next to Django) with a JSON body, which a web page cannot send to another
origin without a CORS preflight these views never allow, and ALLOWED_HOSTS stops DNS
rebinding. They only answer questions and change nothing. Where eventstream runs on
another host, serve them on an internal address, or put a secret in the URLs
(`?key=...`, which eventstream keeps out of its logs) and compare it here."""
import json
from functools import wraps

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .channels import can_read_channel, get_channels_for_request

LOOPBACK = {"127.0.0.1", "::1"}


def from_eventstream(view):
    @csrf_exempt
    @require_POST
    @wraps(view)
    def asked(request):
        if request.META.get("REMOTE_ADDR") not in LOOPBACK or request.content_type != "application/json":
            return JsonResponse({"message": "Only eventstream asks this, from this machine, with JSON."}, status=403)
        try:
            question = json.loads(request.body)
            return view(question, user_named(question["user"]))
        except (ValueError, KeyError, TypeError):
            return JsonResponse({"message": "Not the question eventstream asks."}, status=400)
    return asked


def user_named(sub):
    """The user a token's "sub" names; None for anonymous or a user who no longer exists."""
    if not isinstance(sub, str) or not sub.isdigit():
        return None
    return get_user_model().objects.filter(pk=int(sub), is_active=True).first()


@from_eventstream
def auth(question, user):
    if can_read_channel(user, question["channel"]):
        return HttpResponse(status=204)
    return HttpResponse(status=403)


@from_eventstream
def channels(question, user):
    try:
        return JsonResponse({"channels": get_channels_for_request(
            question["route"], question["params"], question["query"], user)})
    except PermissionDenied as e:
        return JsonResponse({"message": str(e)}, status=403)
