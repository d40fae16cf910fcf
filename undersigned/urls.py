from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.cache import never_cache
from django.views.i18n import set_language

from undersigned.api.api import api


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """200 when the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


def ping(request: HttpRequest) -> HttpResponse:
    """The trivial endpoint the benchmarks measure every figure against."""
    return HttpResponse("pong", content_type="text/plain")


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("ping", ping, name="ping"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("api/v1/", api.urls),
    path("osdi/v1/", include("undersigned.api.osdi")),
    # Frameable by partner sites; no language prefix (see undersigned.signatures.embed).
    path("embed/", include("undersigned.signatures.embed")),
    path("admin/", admin.site.urls),
]
urlpatterns += i18n_patterns(
    path("", include("undersigned.statements.urls")),
    path("", include("undersigned.signatures.urls")),
    path("", include("undersigned.delivery.urls")),
    path("", include("undersigned.tracker.urls")),
    # The organizer console, and its log-in and password pages (kept in their own namespace:
    # they are the only /console/ pages open to everyone).
    path("console/", include("undersigned.accounts.urls")),
    path("console/", include("undersigned.console.urls")),
    prefix_default_language=False,
)

# JSON under /api/ and /osdi/, the site's pages elsewhere (undersigned.lib.errors).
handler400 = "undersigned.lib.errors.bad_request"
handler404 = "undersigned.lib.errors.page_not_found"
