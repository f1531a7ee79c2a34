"""Comment mentions: a through model with the organisation (core.links)."""

from django.conf import settings
from django.db import migrations

from vinculo.core.links import TenantManyToManyField, adopt_automatic_table


class Migration(migrations.Migration):

    dependencies = [
        ("attachments", "0001_files_initial"),
        ("core", "0006_scale_scheduled_jobs"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = adopt_automatic_table(
        app_label="attachments", link="CommentMention", table="attachments_comment_mentions",
        record=("comment", "attachments.comment"), other=("user", settings.AUTH_USER_MODEL),
        owner="comment", field_name="mentions",
        field=TenantManyToManyField(blank=True, related_name="+",
                                    through="attachments.CommentMention",
                                    to=settings.AUTH_USER_MODEL, verbose_name="mentions"))
