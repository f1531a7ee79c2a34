"""The suite's restore after a test that commits (tests/flush.py): the next test finds the
database as the template left it — what the test wrote gone, the migrations' content types and
permissions still there (on SQLite with the same ids). The two tests run in this order, on
one worker (`--dist loadscope` keeps a module together; both commit, since pytest-django runs
the tests that do not before those that do)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from vinculo.core.models import Organization, Tag, User

_seen: dict[str, object] = {}


@pytest.mark.django_db(transaction=True)
def test_a_test_that_commits_writes_rows_in_several_tables(admin):
    Tag.all_objects.create(organization=admin.organization, name="VIP")
    _seen["content types"] = sorted(ContentType.objects.values_list("id", "app_label", "model"))
    _seen["permissions"] = Permission.objects.count()
    assert User.objects.exists() and Organization.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_next_test_finds_them_gone_and_the_migrations_rows_kept():
    assert _seen, "runs after the test above"
    assert not Organization.objects.exists()
    assert not User.objects.exists()
    assert not Tag.all_objects.exists()
    kept = sorted(ContentType.objects.values_list("id", "app_label", "model"))
    if connection.vendor == "sqlite":  # emptied by tests/flush.py: the same rows, same ids
        assert kept == _seen["content types"]
    else:  # Django's TRUNCATE, then the content types made again (new ids)
        assert sorted(row[1:] for row in kept) == sorted(row[1:] for row in _seen["content types"])
    assert Permission.objects.count() == _seen["permissions"]
