from django.urls import path

from undersigned.delivery import views

app_name = "delivery"
urlpatterns = [
    path("s/<slug:slug>/updates/", views.updates, name="updates"),
    path("s/<slug:slug>/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
