import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from live.models import ChannelGrant


class Command(BaseCommand):
    help = "Creates (or resets) a user with a new random password who may read the given private channels."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("channels", nargs="*", help='private channels to grant, e.g. "_vip"')

    def handle(self, username, channels, **options):
        user, _ = get_user_model().objects.get_or_create(username=username)
        password = secrets.token_urlsafe(9)
        user.set_password(password)
        user.save()
        for channel in channels:
            ChannelGrant.objects.get_or_create(user=user, channel=channel)
        self.stdout.write(password)
