from django.utils.translation import gettext_lazy as _

from vinculo.core.plugins import ApiRoute, Contract, Event, PersonalData, VinculoApp
from vinculo.core.record_panels import EXTENSION_POINT, RecordPanel
from vinculo.core.roles import ALL, WRITERS, Role, only

#: Keep in step with ``models.RECORDS`` (the contract is read before models exist).
_RECORDS = ("customers.account", "customers.contact", "customers.lead", "sales.opportunity",
            "sales.quote", "sales.order", "service.ticket")


class AttachmentsConfig(VinculoApp):
    name = "vinculo.attachments"
    label = "attachments"
    verbose_name = _("Files and comments")
    contract = Contract(
        url_prefix="attachments/",
        api_routes=(
            ApiRoute("files", "vinculo.attachments.api.RecordFileViewSet", "recordfile"),
            ApiRoute("comments", "vinculo.attachments.api.CommentViewSet", "comment"),
        ),
        permissions={
            "attachments.view": ALL,
            "attachments.add": WRITERS,
            "attachments.delete": WRITERS,  # what one attached
            "attachments.moderate": only(Role.ADMIN, Role.SALES_MANAGER),  # anyone's
            "comments.view": ALL,
            "comments.add": WRITERS,
            "comments.delete": WRITERS,
            "comments.moderate": only(Role.ADMIN, Role.SALES_MANAGER),
        },
        timeline=("vinculo.attachments.selectors.timeline",),
        events=(
            Event("attachment.added", "A file was attached to a record.",
                  {"record_type": "app_label.model of the record", "record": "its UUID",
                   "filename": "the name given", "size": "bytes"}),
            Event("comment.added", "Someone commented on a record.",
                  {"record": "the record's UUID", "mentions": "UUIDs of the users mentioned"}),
        ),
        extensions={EXTENSION_POINT: (
            RecordPanel("files", "attachments:file_panel", "attachments.view", _RECORDS,
                        order=10),
            RecordPanel("comments", "attachments:comment_panel", "comments.view", _RECORDS,
                        order=20),
        )},
        personal_data=(
            PersonalData("files", _("Files and comments"),
                         "vinculo.attachments.privacy.export_files",
                         "vinculo.attachments.privacy.erase_files", order=75,
                         # staff's comments and files on the record (files have no public mark)
                         customer_export=""),
        ),
    )

    def ready(self) -> None:
        from django.apps import apps
        from django.db.models.signals import post_delete

        from vinculo.attachments import models, services

        if set(models.RECORDS) != set(_RECORDS):
            raise RuntimeError("attachments: models.RECORDS and apps._RECORDS disagree")
        for label in models.RECORDS:
            post_delete.connect(services.record_deleted, sender=apps.get_model(label),
                                dispatch_uid=f"attachments-{label}")
