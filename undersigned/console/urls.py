from django.urls import path

from undersigned.console import api_views, defense_views, delivery_views, erasure, views

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
    # Delivery, updates, exports, import (console/delivery_views.py)
    path("s/<slug:slug>/delivery/", delivery_views.delivery, name="delivery"),
    path("s/<slug:slug>/delivery/freeze/", delivery_views.snapshot_freeze_view, name="freeze"),
    path(
        "s/<slug:slug>/delivery/snapshots/<int:number>/dossier.<str:fmt>",
        delivery_views.snapshot_download,
        name="snapshot_download",
    ),
    path(
        "s/<slug:slug>/delivery/snapshots/<int:number>/pdf/",
        delivery_views.snapshot_pdf,
        name="snapshot_pdf",
    ),
    path("s/<slug:slug>/delivery/new/", delivery_views.delivery_new, name="delivery_new"),
    path(
        "s/<slug:slug>/delivery/files/<int:pk>/",
        delivery_views.delivery_file,
        name="delivery_file",
    ),
    path("s/<slug:slug>/updates/", delivery_views.updates, name="updates"),
    path("s/<slug:slug>/export/", delivery_views.exports, name="exports"),
    path("s/<slug:slug>/export/public.csv", delivery_views.export_public, name="export_public"),
    path("s/<slug:slug>/export/private.csv", delivery_views.export_private, name="export_private"),
    path("s/<slug:slug>/import/", delivery_views.import_upload, name="import"),
    path("s/<slug:slug>/import/<str:token>/", delivery_views.import_file, name="import_file"),
    # API tokens and embeds (console/api_views.py)
    path("s/<slug:slug>/api-tokens/", api_views.api_tokens, name="api_tokens"),
    path(
        "s/<slug:slug>/api-tokens/<int:pk>/revoke/",
        api_views.api_token_revoke_view,
        name="api_token_revoke",
    ),
    path("s/<slug:slug>/embed/", api_views.embed, name="embed"),
]
