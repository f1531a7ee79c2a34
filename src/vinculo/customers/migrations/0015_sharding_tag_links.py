"""Tags through models with the organisation, on the automatic tables (core.links)."""

from django.db import migrations

from vinculo.core.links import TenantManyToManyField, adopt_automatic_table


def _tags(owner: str, link: str) -> list:
    return adopt_automatic_table(
        app_label="customers", link=link, table=f"customers_{owner}_tags",
        record=(owner, f"customers.{owner}"), other=("tag", "core.tag"),
        owner=owner, field_name="tags",
        field=TenantManyToManyField(blank=True, related_name="+", through=f"customers.{link}",
                                    to="core.tag", verbose_name="tags"))


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0006_scale_scheduled_jobs"),
        ("customers", "0014_segperf_consent_granted"),
    ]

    operations = [
        *_tags("account", "AccountTag"),
        *_tags("contact", "ContactTag"),
        *_tags("lead", "LeadTag"),
    ]
