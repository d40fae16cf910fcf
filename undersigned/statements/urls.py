from django.urls import path

from undersigned.statements import views

app_name = "statements"
urlpatterns = [
    path("", views.index, name="index"),
    path("s/<slug:slug>/", views.detail, name="detail"),
    path("s/<slug:slug>/share.png", views.share_image_view, name="share_image"),
]
