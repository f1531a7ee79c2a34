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
    Menu,
    MenuItem,
    PersonalData,
    VinculoApp,
)
from vinculo.core.roles import ALL, Role, only

_SELLERS = only(Role.ADMIN, Role.SALES_MANAGER, Role.SALES_REP)


class SalesConfig(VinculoApp):
    name = "vinculo.sales"
    label = "sales"
    verbose_name = _("Sales")
    contract = Contract(
        url_prefix="sales/",
        api_routes=(
            ApiRoute("pipelines", "vinculo.sales.api.PipelineViewSet", "pipeline"),
            ApiRoute("opportunities", "vinculo.sales.api.OpportunityViewSet", "opportunity"),
            ApiRoute("quotes", "vinculo.sales.documents.api.QuoteViewSet", "quote"),
            ApiRoute("orders", "vinculo.sales.documents.api.OrderViewSet", "order"),
            ApiRoute("deliveries", "vinculo.sales.documents.api.DeliveryViewSet", "delivery"),
        ),
        permissions={
            "sales.view": ALL,
            "sales.add": _SELLERS,
            "sales.change": _SELLERS,
            "sales.delete": only(Role.ADMIN, Role.SALES_MANAGER),
            "sales.manage": only(Role.ADMIN),
        },
        menus=(Menu("sales", _("Sales"), order=30),),
        menu_items=(
            MenuItem("sales", _("Pipeline"), "sales:board", "sales.view", order=10),
            MenuItem("sales", _("Opportunities"), "sales:opportunity_list", "sales.view",
                     order=20),
            MenuItem("sales", _("Forecast"), "sales:forecast", "sales.view", order=30),
            MenuItem("sales", _("Conversion funnel"), "sales:funnel", "sales.view", order=40),
            MenuItem("sales", _("Quotes"), "sales:quote_list", "sales.view", section=1,
                     order=10),
            MenuItem("sales", _("Orders"), "sales:order_list", "sales.view", section=1,
                     order=20),
            MenuItem("sales", _("Deliveries"), "sales:delivery_list", "sales.view", section=1,
                     order=30),
            MenuItem("settings", _("Pipelines and stages"), "sales:pipeline_settings_list",
                     "sales.manage", section=15, order=10, header=_("Sales settings")),
            MenuItem("settings", _("Reasons for losing"), "sales:lost_reason_list",
                     "sales.manage", section=15, order=20),
        ),
        home_panels=(
            HomePanel("my_opportunities", "sales/home/opportunities.html",
                      "vinculo.sales.selectors.home_opportunities", "sales.change", order=20,
                      first_for=only(Role.SALES_REP)),
        ),
        timeline=("vinculo.sales.selectors.timeline",
                  "vinculo.sales.documents.selectors.timeline"),
        demo=DemoGenerator("vinculo.sales.demo.generate", order=200,
                           estimate="vinculo.sales.demo.estimate"),
        cost_drivers=(
            CostDriver("order", _("Order"), "vinculo.sales.cost_drivers.count_orders",
                       order=10),
            CostDriver("delivery", _("Delivery"), "vinculo.sales.cost_drivers.count_deliveries",
                       order=20),
        ),
        events=(
            Event("opportunity.created", "An opportunity was opened.",
                  {"amount": "its amount", "stage": "the stage's name"}),
            Event("opportunity.won", "An opportunity moved to a won stage.",
                  {"amount": "its amount"}),
            Event("opportunity.lost", "An opportunity moved to a lost stage.",
                  {"amount": "its amount"}),
            Event("opportunity.changed", "An opportunity's amount, probability, stage or "
                  "expected close date changed (by an edit or a stage move).",
                  {"changes": "{field: [before, after]} of the fields that changed, numbers "
                              "and dates as text"}),
            Event("quote.sent", "A quote was sent to the customer.",
                  {"number": "its number", "to": "the addresses it was sent to"}),
            Event("quote.accepted", "The customer accepted a quote; an order was made from it.",
                  {"number": "its number", "order": "the order's UUID"}),
            Event("quote.rejected", "The customer rejected a quote.", {"number": "its number"}),
            Event("order.created", "An order was placed.",
                  {"number": "its number", "promised_date": "ISO date",
                   "total": "its total with taxes, as text",
                   "changes": "{\"total\": [null, total]}: a new order's total crosses "
                              "from nothing (rules on an order of X or more read it)"}),
            Event("order.cancelled", "An order was cancelled.", {"number": "its number"}),
            Event("order.delivered", "The last line of an order was delivered.",
                  {"number": "its number", "promised_date": "ISO date",
                   "delivered_on": "ISO date"}),
            Event("order.shipped", "A delivery of the order was recorded (not a return's "
                  "replacement), complete or partial.",
                  {"number": "the order's number", "delivery": "the delivery's number",
                   "promised_date": "ISO date", "delivered_on": "ISO date",
                   "days_late": "whole days after the promised date (0 when on time)",
                   "short": "true when the order is still not complete after it"}),
            Event("order.delivered_late", "An order was completed after its promised date "
                  "(published together with order.delivered).",
                  {"number": "its number", "promised_date": "ISO date",
                   "delivered_on": "ISO date", "days_late": "whole days"}),
        ),
        datasets=(
            Dataset("deliveries", _("Deliveries"), "sales.Delivery", "sales.view", fields=(
                DatasetField("number"), DatasetField("delivered_on"),
                DatasetField("is_replacement")),
                joins=(DatasetJoin("order", "orders", "order", _("Order")),),
                parent="order", date_field="delivered_on", order=55,
                capture=(
                    Capture(_("Deliveries recorded on the order"), "touch",
                            ("number", "delivered_on"), url="sales:order_list"),
                    Capture(_("Returns replaced in kind"), "computed", ("is_replacement",)))),
            Dataset("opportunities", _("Opportunities"), "sales.Opportunity", "sales.view",
                    fields=(
                        DatasetField("name"), DatasetField("amount", type="money"),
                        DatasetField("currency"), DatasetField("probability"),
                        DatasetField("expected_close"), DatasetField("pipeline"),
                        DatasetField("stage"), DatasetField("status"), DatasetField("source"),
                        DatasetField("lost_reason"), DatasetField("owner"),
                        DatasetField("team"), DatasetField("closed_at"),
                        DatasetField("created_at")),
                    joins=(DatasetJoin("account", "accounts", "account", _("Account")),),
                    date_field="expected_close", order=30, currency="currency",
                    capture=(
                        Capture(_("Opportunity form"), fields=(
                            "name", "amount", "currency", "probability", "expected_close",
                            "pipeline", "stage", "source", "lost_reason", "owner", "team"),
                                url="sales:opportunity_create"),
                        Capture(_("Won or lost on the pipeline board"), "touch",
                                ("status", "lost_reason", "closed_at"), url="sales:board"),
                        Capture(_("When the record is saved"), "computed", ("created_at",)))),
            Dataset("quotes", _("Quotes"), "sales.Quote", "sales.view", fields=(
                DatasetField("number"), DatasetField("status"), DatasetField("currency"),
                DatasetField("net_amount", type="money"), DatasetField("tax_amount", type="money"),
                DatasetField("total_amount", type="money"), DatasetField("valid_until"),
                DatasetField("created_at")),
                joins=(DatasetJoin("account", "accounts", "account", _("Account")),),
                date_field="created_at", order=40, currency="currency",
                capture=(
                    Capture(_("Quote form"), fields=("currency", "valid_until"),
                            url="sales:quote_create"),
                    Capture(_("Numbered and totalled from its lines"), "computed", (
                        "number", "status", "net_amount", "tax_amount", "total_amount",
                        "created_at")))),
            Dataset("orders", _("Orders"), "sales.Order", "sales.view", fields=(
                DatasetField("number"), DatasetField("status"), DatasetField("currency"),
                DatasetField("net_amount", type="money"), DatasetField("tax_amount", type="money"),
                DatasetField("total_amount", type="money"), DatasetField("ordered_on"),
                DatasetField("promised_date"), DatasetField("delivered_on")),
                joins=(DatasetJoin("account", "accounts", "account", _("Account")),),
                date_field="ordered_on", order=50, currency="currency",
                capture=(
                    Capture(_("Accepted quote"), "touch",
                            ("currency", "promised_date", "ordered_on")),
                    Capture(_("Deliveries recorded on the order"), "touch",
                            ("delivered_on", "status")),
                    Capture(_("Numbered and totalled from its lines"), "computed", (
                        "number", "net_amount", "tax_amount", "total_amount")))),
            Dataset("order_lines", _("Order lines"), "sales.OrderLine", "sales.view", fields=(
                DatasetField("description"), DatasetField("product"),
                DatasetField("product__line", _("product line"), type="reference"),
                DatasetField("quantity"), DatasetField("unit_price", type="money"),
                DatasetField("discount_percent"), DatasetField("net_amount", type="money"),
                DatasetField("total_amount", type="money"), DatasetField("delivered_quantity")),
                joins=(DatasetJoin("order", "orders", "order", _("Order")),),
                parent="order", order=60, currency="order__currency",
                capture=(
                    Capture(_("Lines of the quote or order"), fields=(
                        "description", "product", "quantity", "unit_price",
                        "discount_percent")),
                    Capture(_("Product catalogue"), fields=("product__line",),
                            url="catalog:product_list"),
                    Capture(_("Deliveries recorded on the order"), "touch",
                            ("delivered_quantity",)),
                    Capture(_("Computed from quantity, price and discount"), "computed",
                            ("net_amount", "total_amount")))),
        ),
        personal_data=(
            PersonalData("opportunities", _("Opportunities"),
                         "vinculo.sales.privacy.export_opportunities",
                         "vinculo.sales.privacy.erase_opportunities", order=20,
                         customer_export="vinculo.sales.privacy."
                                         "export_opportunities_for_customer"),
            PersonalData("quotes", _("Quotes"),
                         "vinculo.sales.privacy.export_quotes",
                         "vinculo.sales.privacy.erase_documents", order=21,
                         customer_export="vinculo.sales.privacy.export_quotes_for_customer",
                         kept=_("Quotes and orders stay with their numbers, lines and amounts, "
                                "without their notes.")),
            PersonalData("orders", _("Orders"),
                         "vinculo.sales.privacy.export_orders",
                         "vinculo.core.privacy.nothing", order=22,
                         customer_export="vinculo.sales.privacy.export_orders_for_customer"),
        ),
        indicators=(
            Indicator("new_customers", _("New customers"),
                      "vinculo.sales.indicators.new_customers", "count", "sales.view",
                      additive=True, by_owner=True, order=20,
                      definition=_("Accounts whose first order (not cancelled) was placed in "
                                   "the period.")),
            Indicator("conversion_rate", _("Conversion rate"),
                      "vinculo.sales.indicators.conversion_rate", "percent", "sales.view",
                      by_owner=True, order=40,
                      definition=_("Opportunities won out of those won or lost, among the "
                                   "ones opened in the period (the conversion funnel).")),
            Indicator("on_time_delivery", _("On-time delivery"),
                      "vinculo.sales.indicators.on_time_delivery", "percent", "sales.view",
                      order=60, definition=_("Orders promised in the period delivered in full "
                                             "by their promised date.")),
            Indicator("fill_rate", _("Order fill rate"), "vinculo.sales.indicators.fill_rate",
                      "percent", "sales.view", order=70,
                      definition=_("Orders promised in the period shipped complete in one "
                                   "delivery.")),
        ),
    )
