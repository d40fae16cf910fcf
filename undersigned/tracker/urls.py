from django.urls import path

from undersigned.tracker import views

app_name = "tracker"
urlpatterns = [
    path("s/<slug:slug>/demands/", views.demands, name="demands"),
    path("agreements/", views.agreement_list, name="agreements"),
    path("agreements/<str:key>/", views.agreement_detail, name="agreement"),
    path("ledger/", views.ledger_view, name="ledger"),
    path("tracker/manage/", views.manage, name="manage"),
    path("tracker/manage/actions/new/", views.action_new, name="action_new"),
    path("tracker/manage/assessments/new/", views.assessment_new, name="assessment_new"),
]
