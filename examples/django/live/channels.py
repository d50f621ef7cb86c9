"""The app's channel rules: what django-eventstream's channel manager holds
(can_read_channel, get_channels_for_request), asked by eventstream through the webhooks."""
import re

from django.core.exceptions import PermissionDenied

from .models import ChannelGrant

ROOM = re.compile(r"[a-z0-9-]{1,32}")


def can_read_channel(user, channel):
    """Public channels are for everyone; a private one ("_...") for users granted it."""
    if not channel.startswith("_"):
        return True
    return user is not None and ChannelGrant.objects.filter(user=user, channel=channel).exists()


def get_channels_for_request(route, params, query, user):
    """A room's stream carries the room and, for a logged-in user, their private channels;
    other routes stream the channels the query names."""
    if route == "/rooms/{room}/events/":
        room = params["room"]
        if not ROOM.fullmatch(room):
            raise PermissionDenied(f"There is no room '{room}': room names are 1-32 lowercase letters, digits and dashes.")
        mine = user.grants.values_list("channel", flat=True).order_by("channel") if user else []
        return ["room-" + room, *mine]
    return query.get("channel", [])
