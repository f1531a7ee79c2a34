"""Data of ``0003_choicelists_ticket_types``, in a migration of its own: on PostgreSQL,
rows written in the transaction of a schema change leave pending trigger events that block
ALTER TABLE (when the migration is reversed)."""

from django.db import migrations
from django.utils import translation

#: The four types every organisation starts with, one per built-in kind (the labels of
#: ``service.models.TicketType``, copied: a migration keeps its own).
DEFAULT_TYPES = (("request", "Request"), ("incident", "Incident"),
                 ("complaint", "Complaint"), ("return", "Return request"))


def add_default_types(apps, schema_editor):
    """Each organisation gets the four types in its language; its tickets take the one of
    their kind (one UPDATE per organisation and kind)."""
    db = schema_editor.connection.alias
    Organization = apps.get_model("core", "Organization")
    TicketCategory = apps.get_model("service", "TicketCategory")
    Ticket = apps.get_model("service", "Ticket")
    for org in Organization.objects.using(db).all().iterator():
        with translation.override(org.language or "en"):
            for order, (kind, label) in enumerate(DEFAULT_TYPES):
                category, _ = TicketCategory.objects.using(db).get_or_create(
                    organization_id=org.pk, kind=kind,
                    defaults={"name": translation.gettext(label), "order": order * 10})
                Ticket.objects.using(db).filter(organization_id=org.pk, type=kind,
                                      ticket_type__isnull=True).update(ticket_type=category)


def remove_default_types(apps, schema_editor):
    db = schema_editor.connection.alias
    apps.get_model("service", "Ticket").objects.using(db).update(ticket_type=None)
    apps.get_model("service", "TicketCategory").objects.using(db).all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ("service", "0003_choicelists_ticket_types"),
    ]

    operations = [
        migrations.RunPython(add_default_types, remove_default_types),
    ]
