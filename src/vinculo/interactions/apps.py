import datetime as dt

from django.utils.translation import gettext_lazy as _

from vinculo.core.plugins import (
    ApiRoute,
    Capture,
    Contract,
    CostDriver,
    Dataset,
    DatasetField,
    DatasetJoin,
    DemoGenerator,
    Event,
    HomePanel,
    Job,
    Menu,
    MenuItem,
    PersonalData,
    Subscriber,
    VinculoApp,
)
from vinculo.core.roles import ALL, WRITERS, Role, only
from vinculo.interactions.extensions import MERGE_FIELDS, MergeFields
from vinculo.interactions.merge_fields import ACCOUNT_FIELDS, CONTACT_FIELDS, USER_FIELDS

_MERGE = "vinculo.interactions.merge_fields"
_COUNT = "vinculo.interactions.cost_drivers"
_MINUTE = dt.timedelta(minutes=1)


class InteractionsConfig(VinculoApp):
    name = "vinculo.interactions"
    label = "interactions"
    verbose_name = _("Interactions")
    contract = Contract(
        url_prefix="interactions/",
        public_urls="vinculo.interactions.urls_public",
        api_routes=(
            ApiRoute("interactions", "vinculo.interactions.api.InteractionViewSet",
                     "interaction"),
            ApiRoute("emails", "vinculo.interactions.api.EmailViewSet", "email"),
            ApiRoute("tasks", "vinculo.interactions.agenda.api.TaskViewSet", "task"),
            ApiRoute("mailboxes", "vinculo.interactions.settings.api.MailboxViewSet",
                     "mailbox"),
            ApiRoute("email-templates", "vinculo.interactions.settings.api.EmailTemplateViewSet",
                     "email-template"),
            ApiRoute("web-forms", "vinculo.interactions.settings.api.WebFormViewSet",
                     "web-form"),
        ),
        permissions={
            "interactions.view": ALL,
            "interactions.add": WRITERS,
            "interactions.change": WRITERS,
            "interactions.delete": only(Role.ADMIN, Role.SALES_MANAGER),
            # mailboxes, e-mail templates, public web forms
            "interactions.manage": only(Role.ADMIN),
        },
        menus=(Menu("activities", _("Activities"), order=60),),
        menu_items=(
            MenuItem("activities", _("My day"), "interactions:my_day", "interactions.view",
                     order=10),
            MenuItem("activities", _("Calendar"), "interactions:calendar", "interactions.view",
                     order=20),
            MenuItem("activities", _("Tasks"), "interactions:task_list", "interactions.view",
                     order=30),
            MenuItem("activities", _("Interactions"), "interactions:interaction_list",
                     "interactions.view", order=40),
            MenuItem("settings", _("Calendar feed"), "interactions:feed_settings",
                     "interactions.view", order=20),
            MenuItem("settings", _("Mailboxes"), "interactions:mailbox_list",
                     "interactions.manage", section=10, order=10,
                     header=_("E-mail and forms")),
            MenuItem("settings", _("E-mail templates"), "interactions:template_list",
                     "interactions.manage", section=10, order=20),
            MenuItem("settings", _("Web forms"), "interactions:webform_list",
                     "interactions.manage", section=10, order=30),
        ),
        home_panels=(
            HomePanel("my_tasks", "interactions/home/tasks.html",
                      "vinculo.interactions.agenda.selectors.home_tasks", "interactions.change",
                      order=10),
        ),
        timeline=("vinculo.interactions.selectors.timeline",),
        jobs=(Job("mail_poll", every=_MINUTE), Job("reminders_send", every=_MINUTE)),
        demo=DemoGenerator("vinculo.interactions.demo.generate", order=400,
                           estimate="vinculo.interactions.demo.estimate"),
        cost_drivers=(
            CostDriver("call", _("Call"), f"{_COUNT}.count_calls", order=60),
            CostDriver("visit", _("Visit"), f"{_COUNT}.count_visits", order=70),
            CostDriver("email", _("E-mail"), f"{_COUNT}.count_emails", order=80),
            CostDriver("handling_minute", _("Handling minute"), f"{_COUNT}.handling_minutes",
                       order=90),
        ),
        events=(
            Event("interaction.logged", "A contact on any channel was recorded (a call, a "
                  "visit, an e-mail sent or received, a web form…); published inside the "
                  "transaction that stored it.",
                  {"channel": "phone, visit, email, chat, letter, fax, web_form",
                   "direction": "inbound or outbound"}),
            Event("email.received", "An inbound e-mail was stored on a thread.",
                  {"from": "the sender's address", "subject": "the subject",
                   "thread": "UUID of the thread"}),
            Event("web_form.submitted", "A public web form was submitted.",
                  {"kind": "contact, request or complaint",
                   "interaction": "UUID of the interaction it logged",
                   "related": "UUID of what it created (a lead, a ticket), or null",
                   "reference": "the form address's ?campaign= value, or ''"}),
        ),
        subscribers=(
            Subscriber("quote.sent", "vinculo.interactions.documents.quote_sent",
                       in_transaction=True),
            Subscriber("invoice.sent", "vinculo.interactions.documents.invoice_sent",
                       in_transaction=True),
        ),
        extensions={
            MERGE_FIELDS: (
                MergeFields("contact", CONTACT_FIELDS, f"{_MERGE}.contact_values"),
                MergeFields("account", ACCOUNT_FIELDS, f"{_MERGE}.account_values"),
                MergeFields("user", USER_FIELDS, f"{_MERGE}.user_values"),
                MergeFields("organization", ("name",), f"{_MERGE}.organization_values"),
            ),
        },
        datasets=(
            Dataset("tasks", _("Tasks"), "interactions.Task", "interactions.view", fields=(
                DatasetField("title"), DatasetField("status"), DatasetField("priority"),
                DatasetField("assignee"), DatasetField("due_at"),
                DatasetField("completed_at"), DatasetField("created_at")),
                joins=(DatasetJoin("account", "accounts", "account", _("Account")),),
                date_field="due_at", order=115,
                capture=(
                    Capture(_("Task form and exception rules"),
                            fields=("title", "priority", "assignee", "due_at", "created_at")),
                    Capture(_("Marking the task done"), "touch",
                            ("status", "completed_at")))),
            Dataset("interactions", _("Interactions"), "interactions.Interaction",
                    "interactions.view", fields=(
                        DatasetField("channel"), DatasetField("direction"),
                        DatasetField("outcome"), DatasetField("subject"),
                        DatasetField("occurred_at"), DatasetField("duration_seconds"),
                        DatasetField("user")),
                    joins=(DatasetJoin("account", "accounts", "account", _("Account")),),
                    date_field="occurred_at", order=110,
                    capture=(
                        Capture(_("Log an interaction"), url="interactions:interaction_log"),
                        Capture(_("E-mail read in and web forms"), "touch", (
                            "channel", "direction", "subject", "occurred_at"),
                                url="interactions:webform_list"))),
        ),
        personal_data=(
            PersonalData("interactions", _("Interactions"),
                         "vinculo.interactions.privacy.export_interactions",
                         "vinculo.interactions.privacy.erase_interactions", order=40,
                         customer_export="vinculo.interactions.privacy."
                                         "export_interactions_for_customer",
                         kept=_("Your interactions stay as dated events, without subject, notes, "
                                "addresses, bodies or files.")),
            PersonalData("tasks", _("Tasks"),
                         "vinculo.interactions.privacy.export_tasks",
                         "vinculo.core.privacy.nothing", order=41,
                         customer_export=""),  # staff's own to-dos
            PersonalData("web_forms", _("Web forms sent"),
                         "vinculo.interactions.privacy.export_web_forms",
                         "vinculo.interactions.privacy.erase_web_forms", order=42),
        ),
    )
