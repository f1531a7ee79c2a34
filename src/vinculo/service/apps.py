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
    Indicator,
    Job,
    Menu,
    MenuItem,
    PersonalData,
    Subscriber,
    VinculoApp,
)
from vinculo.core.roles import ALL, Role, only
from vinculo.interactions.extensions import (
    EMAIL_ROUTERS,
    MERGE_FIELDS,
    WEB_FORM_HANDLERS,
    MergeFields,
    WebFormHandler,
)

_TICKETS = "vinculo.service.services.tickets"
_TICKET = {"number": "TK-2026-000123", "priority": "low, normal, high or urgent",
           "status": "the ticket's status"}
_SLA = {**_TICKET, "clock": "first_response or resolution"}


class ServiceConfig(VinculoApp):
    name = "vinculo.service"
    label = "service"
    verbose_name = _("Service desk")
    contract = Contract(
        url_prefix="service/",
        public_urls="vinculo.service.urls_public",
        api_routes=(
            ApiRoute("tickets", "vinculo.service.api.TicketViewSet", "ticket"),
            ApiRoute("articles", "vinculo.service.api.ArticleViewSet", "article"),
            ApiRoute("queues", "vinculo.service.settings.api.QueueViewSet", "queue"),
            ApiRoute("sla-policies", "vinculo.service.settings.api.SlaPolicyViewSet",
                     "sla-policy"),
            ApiRoute("business-calendars",
                     "vinculo.service.settings.api.BusinessCalendarViewSet",
                     "business-calendar"),
            ApiRoute("ticket-types", "vinculo.service.settings.api.TicketTypeViewSet",
                     "ticket-type"),
            ApiRoute("holidays", "vinculo.service.settings.api.HolidayViewSet", "holiday"),
        ),
        permissions={
            "service.view": ALL,
            "service.add": only(Role.ADMIN, Role.SALES_MANAGER, Role.SALES_REP,
                                Role.SERVICE_AGENT),
            "service.change": only(Role.ADMIN, Role.SALES_MANAGER, Role.SERVICE_AGENT),
            "service.delete": only(Role.ADMIN),
            # queues, SLA policies, business calendars
            "service.manage": only(Role.ADMIN),
            "service.metrics": only(Role.ADMIN, Role.SALES_MANAGER, Role.SERVICE_AGENT,
                                    Role.ANALYST),
            "kb.view": ALL,
            "kb.add": only(Role.ADMIN, Role.SERVICE_AGENT),
            "kb.change": only(Role.ADMIN, Role.SERVICE_AGENT),
            "kb.delete": only(Role.ADMIN),
        },
        menus=(Menu("service", _("Service"), order=50),),
        menu_items=(
            MenuItem("service", _("Service desk"), "service:desk", "service.view", order=10),
            MenuItem("service", _("Tickets"), "service:ticket_list", "service.view",
                     query="status=open_any", order=20),
            MenuItem("service", _("Knowledge base"), "service:article_list", "kb.view",
                     order=30),
            MenuItem("service", _("Service metrics"), "service:metrics", "service.metrics",
                     order=40),
            MenuItem("settings", _("Queues"), "service:queue_list", "service.manage",
                     section=20, order=10, header=_("Service desk settings")),
            MenuItem("settings", _("SLA policies"), "service:sla_list", "service.manage",
                     section=20, order=20),
            MenuItem("settings", _("Business calendars"), "service:calendar_list",
                     "service.manage", section=20, order=30),
            MenuItem("settings", _("Ticket types"), "service:ticket_type_list",
                     "service.manage", section=20, order=40),
        ),
        home_panels=(
            HomePanel("my_tickets", "service/home/tickets.html",
                      "vinculo.service.selectors.home_tickets", "service.change", order=30,
                      first_for=only(Role.SERVICE_AGENT)),
        ),
        timeline=("vinculo.service.selectors.timeline",),
        jobs=(Job("service_sla_scan", every=dt.timedelta(minutes=1)),),
        demo=DemoGenerator("vinculo.service.demo.generate", order=500,
                           estimate="vinculo.service.demo.estimate"),
        cost_drivers=(
            CostDriver("ticket", _("Ticket"), "vinculo.service.cost_drivers.count_tickets",
                       order=50),
        ),
        events=(
            Event("ticket.created", "A ticket was opened (by an agent, the API, an e-mail to "
                  "a queue's mailbox or a web form).", {**_TICKET, "type": "request, "
                  "complaint, return or question", "channel": "where it came from"}),
            Event("ticket.resolved", "A ticket was resolved.", _TICKET),
            Event("ticket.changed", "A ticket's priority or times reopened changed (an edit, "
                  "a reopening by the agent or the customer's message).",
                  {**_TICKET, "changes": "{field: [before, after]} of priority and "
                   "reopened_count when they changed, as text"}),
            Event("ticket.sla_warning", "A ticket's SLA clock reached its warning time.", _SLA),
            Event("ticket.sla_breached", "A ticket's SLA target passed; the ticket was "
                  "escalated.", _SLA),
            Event("survey.answered", "A customer answered a satisfaction survey.",
                  {"csat": "1–5 or null", "nps": "0–10 or null",
                   "ticket": "UUID of the ticket"}),
        ),
        subscribers=(
            Subscriber("interaction.logged", f"{_TICKETS}.ticket_interaction_logged",
                       in_transaction=True),
        ),
        extensions={
            EMAIL_ROUTERS: (f"{_TICKETS}.ticket_inbound_email",),
            WEB_FORM_HANDLERS: (
                WebFormHandler("request", f"{_TICKETS}.ticket_from_web_form"),
                WebFormHandler("complaint", f"{_TICKETS}.ticket_from_web_form"),
            ),
            MERGE_FIELDS: (
                MergeFields("ticket", ("number", "subject", "status"),
                            f"{_TICKETS}.ticket_merge_values"),
            ),
        },
        datasets=(
            Dataset("tickets", _("Tickets"), "service.Ticket", "service.view", fields=(
                DatasetField("number"), DatasetField("type"), DatasetField("ticket_type"),
                DatasetField("subject"), DatasetField("queue"), DatasetField("priority"),
                DatasetField("status"), DatasetField("assignee"), DatasetField("channel"),
                DatasetField("tier"), DatasetField("first_response_state"),
                DatasetField("resolution_state"), DatasetField("first_response_minutes"),
                DatasetField("resolution_minutes"), DatasetField("reopened_count"),
                DatasetField("created_at"), DatasetField("resolved_at")),
                joins=(DatasetJoin("account", "accounts", "account", _("Account")),),
                date_field="created_at", order=100,
                capture=(
                    Capture(_("Ticket form"), fields=(
                        "type", "ticket_type", "subject", "queue", "priority", "channel"),
                            url="service:ticket_create"),
                    Capture(_("E-mail and the customer portal"), "touch",
                            ("subject", "channel", "ticket_type")),
                    Capture(_("Assignment rules, SLA clocks and surveys"), "computed", (
                        "number", "status", "assignee", "tier", "first_response_state",
                        "resolution_state", "first_response_minutes", "resolution_minutes",
                        "reopened_count", "created_at", "resolved_at")))),
        ),
        personal_data=(
            PersonalData("tickets", _("Tickets"),
                         "vinculo.service.privacy.export_tickets",
                         "vinculo.service.privacy.erase_tickets", order=50,
                         customer_export="vinculo.service.privacy.export_tickets_for_customer",
                         kept=_("Tickets stay as dated cases with their scores, without subject, "
                                "description or address.")),
        ),
        indicators=(
            Indicator("sla_compliance", _("SLA compliance"),
                      "vinculo.service.indicators.sla_compliance", "percent", "service.view",
                      by_owner=True, order=80,
                      definition=_("Tickets opened in the period and resolved within their "
                                   "SLA, out of those resolved; a team or an agent: the "
                                   "tickets assigned to them.")),
            Indicator("csat", _("Customer satisfaction (CSAT)"),
                      "vinculo.service.indicators.csat", "score", "service.view",
                      by_owner=True, order=90,
                      definition=_("Mean answer (1–5) to the survey of the tickets opened in "
                                   "the period.")),
            Indicator("nps", _("Net Promoter Score"), "vinculo.service.indicators.nps",
                      "score", "service.view", by_owner=True, order=95,
                      definition=_("Promoters less detractors (% of answers) in the surveys "
                                   "of the tickets opened in the period.")),
            Indicator("complaints", _("Complaints"), "vinculo.service.indicators.complaints",
                      "count", "service.view", additive=True, higher_is_better=False,
                      by_owner=True, order=100,
                      definition=_("Tickets counting as complaints opened in the period.")),
        ),
    )

    def ready(self) -> None:
        # every new organisation starts with the default ticket types
        from django.db.models.signals import post_save

        from vinculo.core.models import Organization
        from vinculo.service.services.ticket_types import organization_saved

        post_save.connect(organization_saved, sender=Organization,
                          dispatch_uid="service_ticket_types_for_new_organization")
