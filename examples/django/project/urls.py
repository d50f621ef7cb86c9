from django.contrib.auth import views as auth
from django.urls import path

from live import views, webhooks

urlpatterns = [
    path("", views.page, name="page"),
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path("token/", views.token, name="token"),
    path("send/", views.send, name="send"),
    path("revoke/", views.revoke, name="revoke"),
    # Asked by eventstream only (--auth-url, --channels-url); see live/webhooks.py.
    path("eventstream/auth/", webhooks.auth),
    path("eventstream/channels/", webhooks.channels),
]
