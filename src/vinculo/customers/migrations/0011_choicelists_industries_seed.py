"""Data of ``0010_choicelists_industries``, in a migration of its own: on PostgreSQL,
rows written in the transaction of a schema change leave pending trigger events that block
ALTER TABLE (when the migration is reversed)."""

from django.db import migrations
from django.db.models import Count

#: At most this many of an organisation's most used industry texts start its list.
SEED_LIMIT = 200


def seed_industries(apps, schema_editor):
    """The list starts with the industries the organisation's accounts already have (the most
    used first), so the form offers what people typed before; they can tidy it up."""
    db = schema_editor.connection.alias
    Account = apps.get_model("customers", "Account")
    Industry = apps.get_model("customers", "Industry")
    orgs = Account.objects.using(db).exclude(industry="").values_list("organization_id", flat=True)
    for org_id in sorted(set(orgs)):
        rows = (Account.objects.using(db).filter(organization_id=org_id).exclude(industry="")
                .values("industry").annotate(n=Count("id")).order_by("-n", "industry")
                [:SEED_LIMIT])
        seen = set()
        for row in rows:
            name = row["industry"].strip()
            if name and name.casefold() not in seen:
                seen.add(name.casefold())
                Industry.objects.using(db).create(organization_id=org_id, name=name[:100])


def unseed(apps, schema_editor):
    apps.get_model("customers", "Industry").objects.using(
        schema_editor.connection.alias).all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ("customers", "0010_choicelists_industries"),
    ]

    operations = [
        migrations.RunPython(seed_industries, unseed),
    ]
