from django.urls import path

from undersigned.statements import views

app_name = "statements"
urlpatterns = [
    path("", views.index, name="index"),
    path("s/<slug:slug>/", views.detail, name="detail"),
]
