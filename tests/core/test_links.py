"""Many-to-many links carry their organisation (``core.links``): written by the related
managers every caller uses, and copied in by the migration that adopted Django's automatic
tables — so a database sharded by organisation can place every link with its record."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.core.factories import as_user
from tests.service.factories import ArticleFactory, QueueFactory, TicketFactory
from vinculo.attachments.models import CommentMention
from vinculo.attachments.services import comment_add
from vinculo.core.models import Role, Tag
from vinculo.customers.models import AccountTag, ContactTag
from vinculo.customers.services import account_create, account_update, contact_create
from vinculo.service.models import TicketArticle
from vinculo.service.services import ticket_link_article


@pytest.mark.django_db
def test_tags_set_by_the_services_carry_the_records_organisation(admin, other_admin):
    with as_user(admin):
        account = account_create(actor=admin, data={"name": "Hnos. Gil",
                                                    "tags": ["vip", "norte"]})
        contact_create(actor=admin, data={"first_name": "Ana", "last_name": "Gil",
                                          "tags": ["vip"]})
    with as_user(other_admin):
        other = account_create(actor=other_admin, data={"name": "Globex", "tags": ["vip"]})
    rows = sorted(AccountTag.objects.values_list("account_id", "organization_id", "tag__name"))
    assert rows == sorted([(account.pk, admin.organization_id, "norte"),
                           (account.pk, admin.organization_id, "vip"),
                           (other.pk, other_admin.organization_id, "vip")])
    assert list(ContactTag.objects.values_list("organization_id", flat=True)) == [
        admin.organization_id]
    # set() again (an edit): the kept link keeps its row, the new one gets the organisation
    with as_user(admin):
        account_update(actor=admin, account=account, data={"tags": ["vip", "sur"]},
                       expected_version=None)
    assert sorted(AccountTag.objects.filter(account=account)
                  .values_list("tag__name", "organization_id")) == [
        ("sur", admin.organization_id), ("vip", admin.organization_id)]


@pytest.mark.django_db
def test_the_reverse_manager_and_plain_add_fill_the_organisation_too(admin, users):
    with as_user(admin):
        queue = QueueFactory(actor=admin)
        ticket = TicketFactory(actor=admin, queue=queue)
        article = ArticleFactory(actor=admin)
        second = ArticleFactory(actor=admin)
        ticket_link_article(actor=admin, ticket=ticket, article=article)
        second.tickets.add(ticket)  # from the article's side
        tag = Tag.objects.create(organization=admin.organization, name="envíos")
        article.tags.add(tag)
    assert set(TicketArticle.objects.values_list("organization_id", flat=True)) == {
        admin.organization_id}
    assert TicketArticle.objects.count() == 2
    assert article.tags.through.objects.get().organization_id == admin.organization_id


@pytest.mark.django_db
def test_mentions_carry_the_organisation(admin, users):
    colleague = users[Role.SALES_REP]
    with as_user(admin):
        account = account_create(actor=admin, data={"name": "Hnos. Gil"})
        comment_add(actor=admin, record=account, body=f"@{colleague.email} llama mañana")
    mention = CommentMention.objects.get()
    assert (mention.user_id, mention.organization_id) == (colleague.pk, admin.organization_id)


def _migrate(target: list[tuple[str, str]]):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor.loader.project_state(target).apps


@pytest.mark.django_db(transaction=True)
def test_the_migration_copies_each_links_organisation_from_its_record(admin, other_admin):
    """Rows of the automatic table (two organisations) get their record's organisation, the
    column ends required, and the migration runs backwards and forwards again."""
    with as_user(admin):
        mine = account_create(actor=admin, data={"name": "Hnos. Gil"})
    with as_user(other_admin):
        theirs = account_create(actor=other_admin, data={"name": "Globex"})
    old = _migrate([("attachments", "0001_files_initial")])
    Comment = old.get_model("attachments", "Comment")
    assert "organization" not in {f.name for f in Comment.mentions.through._meta.get_fields()}
    comments = {}
    for user, account in ((admin, mine), (other_admin, theirs)):
        comment = Comment.objects.create(organization_id=user.organization_id, body="hola",
                                         author_id=user.pk, record_type_id=_ct(account),
                                         record_id=account.pk)
        comment.mentions.add(user.pk)
        comments[user.pk] = comment.pk
    try:
        new = _migrate([("attachments", "0002_sharding_mention_links")])
        Link = new.get_model("attachments", "CommentMention")
        assert sorted(Link.objects.values_list("comment_id", "user_id", "organization_id")) == \
            sorted([(comments[admin.pk], admin.pk, admin.organization_id),
                    (comments[other_admin.pk], other_admin.pk, other_admin.organization_id)])
        assert Link._meta.get_field("organization").null is False
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())


def _ct(record) -> int:
    return ContentType.objects.get_for_model(record).pk
