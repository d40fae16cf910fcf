from django.urls import path

from undersigned.console import defense_views, erasure, views

app_name = "console"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.statement_new, name="new"),
    path("s/<slug:slug>/", views.dashboard, name="dashboard"),
    path("s/<slug:slug>/status/", views.status_change, name="status"),
    path("s/<slug:slug>/settings/", views.settings_edit, name="settings"),
    path("s/<slug:slug>/text/", views.text_edit, name="text"),
    path("s/<slug:slug>/targets/", views.targets_edit, name="targets"),
    path("s/<slug:slug>/moderation/", views.moderation, name="moderation"),
    path("s/<slug:slug>/signatures/", views.signature_list, name="signatures"),
    path("s/<slug:slug>/signatures/<int:pk>/", views.signature_detail, name="signature"),
    path("s/<slug:slug>/signatures/<int:pk>/merge/", views.signature_merge_view, name="merge"),
    path("s/<slug:slug>/signatures/<int:pk>/erase/", erasure.signature_erase_view, name="erase"),
    path("s/<slug:slug>/invalidate/", views.invalidate, name="invalidate"),
    path(
        "s/<slug:slug>/invalidate/<int:pk>/revert/",
        views.invalidation_revert,
        name="invalidation_revert",
    ),
    path("s/<slug:slug>/partners/", views.partners, name="partners"),
    path("s/<slug:slug>/partners/<int:pk>/remove/", views.partner_remove, name="partner_remove"),
    path("s/<slug:slug>/team/", views.team, name="team"),
    path("s/<slug:slug>/team/<int:pk>/remove/", views.team_remove, name="team_remove"),
    path("s/<slug:slug>/audit/", views.audit, name="audit"),
    path("s/<slug:slug>/defenses/", defense_views.defenses, name="defenses"),
    path("s/<slug:slug>/defenses/limits/", defense_views.defenses_limits, name="defenses_limits"),
    path(
        "s/<slug:slug>/defenses/rules/", defense_views.defenses_rule_add, name="defenses_rule_add"
    ),
    path(
        "s/<slug:slug>/defenses/rules/<int:pk>/remove/",
        defense_views.defenses_rule_remove,
        name="defenses_rule_remove",
    ),
    path("s/<slug:slug>/traffic/", defense_views.traffic, name="traffic"),
]
