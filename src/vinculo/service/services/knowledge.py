"""The knowledge base: articles and their links to tickets."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from vinculo.core.models import User
from vinculo.core.services import (
    org_id,
    refuse_unknown,
    require,
    same_org,
    versioned_save,
)
from vinculo.service.models import (
    Article,
    ArticleStatus,
    Ticket,
)

# ---- knowledge base -------------------------------------------------------------------------

ARTICLE_FIELDS = ("title", "body", "keywords", "status", "public")


def _article_search_text(article: Article) -> str:
    from vinculo.customers.normalize import fold

    return " ".join(fold(p) for p in (article.title, article.keywords, article.body) if p)


def article_create(*, actor: User, data: dict[str, Any]) -> Article:
    """A new knowledge-base article, written by ``actor``."""
    return _article_save(actor=actor, data=data)


def article_update(*, actor: User, article: Article, data: dict[str, Any],
                   expected_version: int | None) -> Article:
    """Change an article; refused (``ConflictError``) when it is no longer at
    ``expected_version``."""
    return _article_save(actor=actor, data=data, article=article,
                         expected_version=expected_version)


@transaction.atomic
def _article_save(*, actor: User, data: dict[str, Any], article: Article | None = None,
                  expected_version: int | None = None) -> Article:
    require(actor, "kb.change" if article else "kb.add")
    refuse_unknown(data, ARTICLE_FIELDS)
    creating = article is None
    article = article or Article(organization_id=org_id(actor), author=actor)
    for key, value in data.items():
        setattr(article, key, value)
    if article.status not in ArticleStatus.values:
        raise ValidationError({"status": _("Unknown status.")})
    article.full_clean(exclude=["organization", "tags"], validate_unique=False)
    article.search_text = _article_search_text(article)
    if creating:
        article.save()
        return article
    return versioned_save(article, expected_version=expected_version,
                          fields=[*data, "search_text"])


@transaction.atomic
def article_delete(*, actor: User, article: Article) -> None:
    """Remove an article; the tickets it answered lose the link, not their history."""
    require(actor, "kb.delete")
    article.delete()


@transaction.atomic
def ticket_link_article(*, actor: User, ticket: Ticket, article: Article,
                        linked: bool = True) -> Ticket:
    require(actor, "service.change")
    same_org(ticket.organization_id, article=article)
    if linked:
        ticket.articles.add(article)
    else:
        ticket.articles.remove(article)
    return ticket
