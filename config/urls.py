from django.conf import settings
from django.conf.urls.static import static
from django.urls import include, path

from config.api import api
from jixiao.org import views as org_views

urlpatterns = [
    path("", org_views.home, name="home"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("jixiao.accounts.urls")),
    path("org/", include("jixiao.org.urls")),
    path("audit/", include("jixiao.org.audit_urls")),
    path("indicators/", include("jixiao.indicators.urls")),
    path("goals/", include("jixiao.goals.urls")),
    path("appraisals/", include("jixiao.appraisals.urls")),
    path("imports/", include("jixiao.imports.urls")),
    path("calendar/", include("jixiao.org.calendar_urls")),
    path("notifications/", include("jixiao.core.notification_urls")),
    path("api/", api.urls),
]

if settings.DEBUG:
    urlpatterns += static(settings.STATIC_URL, document_root=settings.STATIC_ROOT)

handler403 = "jixiao.core.views.permission_denied"
handler404 = "jixiao.core.views.page_not_found"
