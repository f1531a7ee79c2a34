"""Ticket articles and article tags: through models with the organisation (core.links)."""

from django.db import migrations

from vinculo.core.links import TenantManyToManyField, adopt_automatic_table


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0006_scale_scheduled_jobs"),
        ("service", "0005_mailpaths_survey_not_sent_reason"),
    ]

    operations = [
        *adopt_automatic_table(
            app_label="service", link="TicketArticle", table="service_ticket_articles",
            record=("ticket", "service.ticket"), other=("article", "service.article"),
            owner="ticket", field_name="articles",
            field=TenantManyToManyField(blank=True, related_name="tickets",
                                        through="service.TicketArticle", to="service.article",
                                        verbose_name="articles")),
        *adopt_automatic_table(
            app_label="service", link="ArticleTag", table="service_article_tags",
            record=("article", "service.article"), other=("tag", "core.tag"),
            owner="article", field_name="tags",
            field=TenantManyToManyField(blank=True, related_name="+",
                                        through="service.ArticleTag", to="core.tag",
                                        verbose_name="tags")),
    ]
