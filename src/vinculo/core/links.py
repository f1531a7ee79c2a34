"""Many-to-many links that carry their organisation.

Django's automatic many-to-many table holds two ids and nothing else, so a database that
shards by ``organization_id`` (Citus, ``core.sharding``) cannot place its rows. A link here is
an explicit through model with the organisation (:class:`TenantLink`), and the field
(:class:`TenantManyToManyField`) fills it in on every ``add``/``set``/``create`` from the
record the manager belongs to, so no caller — forms, the API, services, tests — has to pass
``through_defaults``. Bulk inserts that bypass the manager (the demo, imports) set
``organization_id`` themselves.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations, models
from django.db.migrations.operations.base import Operation
from django.db.models import OuterRef, Subquery
from django.db.models.fields.related_descriptors import ManyToManyDescriptor
from django.utils.functional import cached_property


class TenantLink(models.Model):
    """Base of a many-to-many through model: the organisation of both rows it links."""

    organization = models.ForeignKey("core.Organization", on_delete=models.CASCADE,
                                     related_name="+")

    class Meta:
        abstract = True


def _with_organization(instance: Any, through_defaults: dict[str, Any] | None) -> dict[str, Any]:
    return {"organization_id": instance.organization_id, **(through_defaults or {})}


class _TenantLinkDescriptor(ManyToManyDescriptor):
    """Gives the related manager the organisation of the record it was reached from."""

    @cached_property
    def related_manager_cls(self) -> type:
        base = super().related_manager_cls

        class TenantLinkManager(base):  # type: ignore[valid-type,misc]
            def add(self, *objs: Any, through_defaults: dict[str, Any] | None = None) -> None:
                super().add(*objs, through_defaults=_with_organization(self.instance,
                                                                       through_defaults))

            def set(self, objs: Any, *, clear: bool = False,
                    through_defaults: dict[str, Any] | None = None) -> None:
                super().set(objs, clear=clear,
                            through_defaults=_with_organization(self.instance, through_defaults))

            def create(self, *, through_defaults: dict[str, Any] | None = None,
                       **kwargs: Any) -> Any:
                return super().create(
                    through_defaults=_with_organization(self.instance, through_defaults),
                    **kwargs)

            def get_or_create(self, *, through_defaults: dict[str, Any] | None = None,
                              **kwargs: Any) -> Any:
                return super().get_or_create(
                    through_defaults=_with_organization(self.instance, through_defaults),
                    **kwargs)

            def update_or_create(self, *, through_defaults: dict[str, Any] | None = None,
                                 **kwargs: Any) -> Any:
                return super().update_or_create(
                    through_defaults=_with_organization(self.instance, through_defaults),
                    **kwargs)

        return TenantLinkManager


class TenantManyToManyField(models.ManyToManyField):
    """A many-to-many field whose through model is a :class:`TenantLink`."""

    def contribute_to_class(self, cls: type[models.Model], name: str, **kwargs: Any) -> None:
        super().contribute_to_class(cls, name, **kwargs)
        setattr(cls, self.name, _TenantLinkDescriptor(self.remote_field, reverse=False))

    def contribute_to_related_class(self, cls: type[models.Model], related: Any) -> None:
        super().contribute_to_related_class(cls, related)
        if not self.remote_field.hidden and not related.related_model._meta.swapped:
            setattr(cls, related.accessor_name,
                    _TenantLinkDescriptor(self.remote_field, reverse=True))


def adopt_automatic_table(*, app_label: str, link: str, table: str, record: tuple[str, str],
                          other: tuple[str, str], owner: str, field_name: str,
                          field: TenantManyToManyField) -> list[Operation]:
    """Migration operations that turn Django's automatic many-to-many table into ``link``.

    The table, its columns and its rows stay; the state gains the through model, then the
    table gains ``organization_id``, copied from the record each row belongs to (``record``:
    the foreign key's name and model), and made required. ``other`` is the linked side.
    """
    record_name, record_model = record
    other_name, other_model = other

    def fill(apps: Any, schema_editor: Any) -> None:
        link_model = apps.get_model(app_label, link)
        owner_model = apps.get_model(record_model)
        link_model.objects.using(schema_editor.connection.alias).update(
            organization_id=Subquery(owner_model.objects.filter(pk=OuterRef(f"{record_name}_id"))
                                     .values("organization_id")[:1]))

    def organization(null: bool) -> models.ForeignKey:
        return models.ForeignKey("core.organization", on_delete=models.CASCADE,
                                 related_name="+", null=null)

    return [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.CreateModel(
                name=link,
                fields=[
                    ("id", models.BigAutoField(auto_created=True, primary_key=True,
                                               serialize=False, verbose_name="ID")),
                    (record_name, models.ForeignKey(on_delete=models.CASCADE,
                                                    related_name="+", to=record_model)),
                    (other_name, models.ForeignKey(on_delete=models.CASCADE,
                                                   related_name="+", to=other_model)),
                ],
                options={"db_table": table, "unique_together": {(record_name, other_name)}},
            ),
            migrations.AlterField(model_name=owner, name=field_name, field=field),
        ]),
        migrations.AddField(model_name=link.lower(), name="organization",
                            field=organization(null=True)),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(model_name=link.lower(), name="organization",
                              field=organization(null=False)),
    ]
