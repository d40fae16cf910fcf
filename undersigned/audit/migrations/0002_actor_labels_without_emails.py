"""The audit log named organizers by their username, which is their email address; it never
holds an address, so earlier labels become the account number (the entry keeps the account)."""

from django.db import migrations


def relabel(apps, schema_editor):
    AuditEntry = apps.get_model("audit", "AuditEntry")
    for entry in AuditEntry.objects.filter(actor_label__contains="@").only("pk", "actor_id"):
        label = f"organizer #{entry.actor_id}" if entry.actor_id else "organizer"
        AuditEntry.objects.filter(pk=entry.pk).update(actor_label=label)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(relabel, migrations.RunPython.noop, elidable=True)]
