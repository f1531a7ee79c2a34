"""Many-to-many links carry their organisation (``core.links``): written by the related
managers every caller uses, and copied in by the migration that adopted Django's automatic
tables — so a database sharded by organisation can place every link with its record."""

from __future__ import annotations

import pytest

from tests.core.factories import as_user
from tests.databases import migrate_to
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


def test_the_migration_copies_each_links_organisation_from_its_record(scratch_database):
    """Rows of the automatic table (two organisations) get their record's organisation, the
    column ends required, and the migration runs backwards and forwards again."""
    db = scratch_database
    before, after = [("attachments", "0001_files_initial")], [
        ("attachments", "0002_sharding_mention_links")]
    old = migrate_to(db, before)
    Comment = old.get_model("attachments", "Comment")
    assert "organization" not in {f.name for f in Comment.mentions.through._meta.get_fields()}
    # a comment's record can be any record: the organisation itself keeps the state small
    record_type = old.get_model("contenttypes", "ContentType").objects.using(db).create(
        app_label="core", model="organization")
    expected = []
    for name in ("Acme", "Globex"):
        org = old.get_model("core", "Organization").objects.using(db).create(name=name)
        user = old.get_model("core", "User").objects.using(db).create(
            organization_id=org.pk, email=f"admin@{name}.test")
        comment = Comment.objects.using(db).create(
            organization_id=org.pk, body="hola", author_id=user.pk,
            record_type_id=record_type.pk, record_id=org.pk)
        Comment.mentions.through.objects.using(db).create(comment_id=comment.pk,
                                                          user_id=user.pk)
        expected.append((comment.pk, user.pk, org.pk))
    for state in (after, before, after):  # forwards, backwards, forwards again
        new = migrate_to(db, state)
    Link = new.get_model("attachments", "CommentMention")
    assert sorted(Link.objects.using(db).values_list("comment_id", "user_id",
                                                     "organization_id")) == sorted(expected)
    assert Link._meta.get_field("organization").null is False
