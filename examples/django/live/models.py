from django.conf import settings
from django.db import models


class ChannelGrant(models.Model):
    """A user may read a private channel (one starting with "_")."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="grants")
    channel = models.CharField(max_length=128)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "channel"], name="one_grant_per_channel")]

    def __str__(self):
        return f"{self.user} may read {self.channel}"
