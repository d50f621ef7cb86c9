"""Settings of the example. run.sh passes the secrets and the database's place in the
environment; nothing secret is written here."""
import os

from django.core.exceptions import ImproperlyConfigured


def need(name):
    try:
        return os.environ[name]
    except KeyError:
        raise ImproperlyConfigured(f"{name} is not set: start the example with bash examples/django/run.sh, "
                                   "which sets it") from None


SECRET_KEY = need("DJANGO_SECRET_KEY")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = ["django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions", "live"]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "project.urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": ["django.template.context_processors.request",
                                       "django.contrib.auth.context_processors.auth"]},
}]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": need("DJANGO_DB")}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"
USE_TZ = True
TIME_ZONE = "UTC"

# eventstream: where it is (the browser streams from the same address here; behind a proxy
# the two would differ), the key its /publish/ and /kick/ want (--publish-key), the
# secret it verifies tokens with (--auth-secret), and how long a token lives. A stream
# still open when its token expires ends with "The token has expired."; the page then
# says to reload, which mints a new one.
EVENTSTREAM_URL = os.environ.get("EVENTSTREAM_URL", "http://127.0.0.1:8000").rstrip("/")
EVENTSTREAM_PUBLISH_KEY = need("EVENTSTREAM_PUBLISH_KEY")
EVENTSTREAM_AUTH_SECRET = need("EVENTSTREAM_AUTH_SECRET")
EVENTSTREAM_TOKEN_SECONDS = 8 * 3600
EVENTSTREAM_TOKEN_COOKIE = "eventstream_token"  # eventstream serve --auth-cookie
