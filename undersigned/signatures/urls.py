from django.urls import path

from undersigned.signatures import views

app_name = "signatures"
urlpatterns = [
    path("s/<slug:slug>/sign/", views.sign, name="sign"),
    path("s/<slug:slug>/thanks/", views.thanks, name="thanks"),
    path("s/<slug:slug>/signatories/", views.signatories, name="list"),
    path("s/<slug:slug>/confirm/<str:token>/", views.confirm, name="confirm"),
    path("s/<slug:slug>/withdraw/<str:token>/", views.withdraw, name="withdraw"),
    path("outbox/", views.outbox, name="outbox"),
]
