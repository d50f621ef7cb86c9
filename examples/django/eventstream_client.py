"""What a Django app needs to talk to eventstream: django-eventstream's send_event() and
channel_permission_changed(), over eventstream's publish API (docs/protocol.md §8, §9),
and the tokens that tell eventstream who a browser's user is (§7)."""
import json
import time
import urllib.error
import urllib.request

import jwt
from django.conf import settings

# Not through an http_proxy from the environment: eventstream is the app's own service.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class EventstreamError(Exception):
    pass


def _post(path, body):
    request = urllib.request.Request(settings.EVENTSTREAM_URL + path, json.dumps(body).encode(), {
        "Content-Type": "application/json", "Authorization": "Bearer " + settings.EVENTSTREAM_PUBLISH_KEY})
    try:
        with _opener.open(request, timeout=10) as answer:
            return json.load(answer)
    except urllib.error.HTTPError as e:
        raise EventstreamError(f"eventstream refused POST {path} ({e.code}): {e.read().decode(errors='replace')}") from e
    except urllib.error.URLError as e:
        raise EventstreamError(f"eventstream at {settings.EVENTSTREAM_URL} did not answer ({e.reason}); is it running?") from e


def send_event(channel, event_type, data, skip_user_ids=None):
    """Publishes an event; returns its stored id (None on a channel that is not stored)."""
    body = {"channel": channel, "type": event_type, "data": data}
    if skip_user_ids:
        body["skip_users"] = [str(pk) for pk in skip_user_ids]
    return _post("/publish/", body)["ids"][0]


def channel_permission_changed(user, channel):
    """Ends the user's streams on the channel if the permission webhook now says no."""
    return _post("/kick/", {"user": str(user.pk), "channel": channel})["ended"]


def token_for(user):
    """The user's token: eventstream knows the user by its "sub", which kicks name."""
    claims = {"sub": str(user.pk), "exp": int(time.time()) + settings.EVENTSTREAM_TOKEN_SECONDS}
    return jwt.encode(claims, settings.EVENTSTREAM_AUTH_SECRET, algorithm="HS256")
