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
    Indicator,
    Menu,
    MenuItem,
    PersonalData,
    VinculoApp,
)
from vinculo.core.roles import Role, only

_DOCUMENT = {"number": "its number", "total": "its total, as a decimal string",
             "currency": "ISO 4217 code"}


class BillingConfig(VinculoApp):
    name = "vinculo.billing"
    label = "billing"
    verbose_name = _("Billing")
    contract = Contract(
        url_prefix="billing/",
        api_routes=(
            ApiRoute("invoices", "vinculo.billing.api.InvoiceViewSet", "invoice"),
            ApiRoute("payments", "vinculo.billing.api.PaymentViewSet", "payment"),
            ApiRoute("returns", "vinculo.billing.api.ReturnViewSet", "return"),
            ApiRoute("service-levels", "vinculo.billing.api.ServiceLevelViewSet",
                     "service-level"),
        ),
        permissions={
            "billing.view": only(Role.ADMIN, Role.SALES_MANAGER, Role.SALES_REP, Role.ANALYST,
                                 Role.READ_ONLY, Role.SERVICE_AGENT),
            "billing.add": only(Role.ADMIN, Role.SALES_MANAGER),
            "billing.change": only(Role.ADMIN, Role.SALES_MANAGER),
            "billing.delete": only(Role.ADMIN),
        },
        menus=(Menu("billing", _("Billing"), order=40),),
        menu_items=(
            MenuItem("billing", _("Invoices"), "billing:invoice_list", "billing.view", order=10),
            MenuItem("billing", _("Payments"), "billing:payment_list", "billing.view", order=20),
            MenuItem("billing", _("Aging of receivables"), "billing:aging", "billing.view",
                     order=30),
            MenuItem("sales", _("Returns"), "billing:return_list", "billing.view", section=1,
                     order=40),
            MenuItem("sales", _("Service levels"), "billing:service_levels", "billing.view",
                     section=1, order=50),
        ),
        timeline=("vinculo.billing.selectors.timeline",),
        demo=DemoGenerator("vinculo.billing.demo.generate", order=300,
                           estimate="vinculo.billing.demo.estimate"),
        cost_drivers=(
            CostDriver("invoice", _("Invoice"), "vinculo.billing.cost_drivers.count_invoices",
                       order=30),
            CostDriver("return", _("Return"), "vinculo.billing.cost_drivers.count_returns",
                       order=40),
        ),
        events=(
            Event("invoice.issued", "An invoice was issued (numbered, final).", _DOCUMENT),
            Event("invoice.sent", "An issued invoice or credit note was e-mailed to the "
                  "customer with its PDF.", {**_DOCUMENT, "kind": "invoice or credit_note",
                                             "to": "the addresses it was sent to"}),
            Event("invoice.paid", "An invoice's payments reached its total.", _DOCUMENT),
            Event("credit_note.issued", "A credit note corrected an issued invoice.",
                  {**_DOCUMENT, "invoice": "UUID of the invoice it corrects"}),
            Event("payment.recorded", "A payment was recorded against an invoice.",
                  {"amount": "decimal string", "invoice": "UUID of the invoice"}),
            Event("return.requested", "A customer asked to return delivered goods (RMA).",
                  {"number": "the RMA number"}),
            Event("return.received", "Returned goods arrived back.",
                  {"number": "the RMA number"}),
        ),
        datasets=(
            Dataset("returns", _("Returns"), "billing.ReturnAuthorization", "billing.view",
                    fields=(
                        DatasetField("number"), DatasetField("status"),
                        DatasetField("resolution"), DatasetField("requested_on"),
                        DatasetField("received_on"), DatasetField("closed_on")),
                    joins=(DatasetJoin("account", "accounts", "account", _("Account")),
                           DatasetJoin("order", "orders", "order", _("Order"))),
                    date_field="requested_on", order=95,
                    capture=(
                        Capture(_("Return request on a delivered order"),
                                fields=("number", "requested_on"), url="billing:return_list"),
                        Capture(_("The customer portal"), "touch", ("requested_on",)),
                        Capture(_("Receipt and resolution of the return"), "touch",
                                ("status", "resolution", "received_on", "closed_on"),
                                url="billing:return_list"))),
            Dataset("invoices", _("Invoices"), "billing.Invoice", "billing.view", fields=(
                DatasetField("number"), DatasetField("kind"), DatasetField("status"),
                DatasetField("series"), DatasetField("currency"),
                DatasetField("net_amount", type="money"), DatasetField("tax_amount", type="money"),
                DatasetField("total_amount", type="money"), DatasetField("issue_date"),
                DatasetField("due_date"), DatasetField("paid_on")),
                joins=(DatasetJoin("account", "accounts", "account", _("Account")),),
                date_field="issue_date", order=70, currency="currency",
                capture=(
                    Capture(_("Invoice form"), fields=("kind", "series", "currency", "due_date"),
                            url="billing:invoice_create"),
                    Capture(_("Payments recorded on the invoice"), "touch",
                            ("paid_on", "status"), url="billing:payment_list"),
                    Capture(_("Numbered and totalled when issued"), "computed", (
                        "number", "net_amount", "tax_amount", "total_amount",
                        "issue_date")))),
            Dataset("invoice_lines", _("Invoice lines"), "billing.InvoiceLine", "billing.view",
                    fields=(
                        DatasetField("description"), DatasetField("product"),
                        DatasetField("product__line", _("product line"), type="reference"),
                        DatasetField("quantity"), DatasetField("unit_price", type="money"),
                        DatasetField("discount_percent"),
                        DatasetField("net_amount", type="money"),
                        DatasetField("total_amount", type="money")),
                    joins=(DatasetJoin("invoice", "invoices", "invoice", _("Invoice")),),
                    parent="invoice", order=80, currency="invoice__currency",
                    capture=(
                        Capture(_("Lines of the invoice"), fields=(
                            "description", "product", "quantity", "unit_price",
                            "discount_percent"), url="billing:invoice_create"),
                        Capture(_("Product catalogue"), fields=("product__line",),
                                url="catalog:product_list"),
                        Capture(_("Computed from quantity, price and discount"), "computed",
                                ("net_amount", "total_amount")))),
            Dataset("payments", _("Payments"), "billing.Payment", "billing.view", fields=(
                DatasetField("amount", type="money"), DatasetField("paid_on"),
                DatasetField("method"), DatasetField("reference")),
                joins=(DatasetJoin("invoice", "invoices", "invoice", _("Invoice")),),
                date_field="paid_on", order=90, currency="invoice__currency",
                capture=(Capture(_("Payments recorded on the invoice"), "touch",
                                 url="billing:payment_list"),)),
        ),
        personal_data=(
            PersonalData("invoices", _("Invoices"),
                         "vinculo.billing.privacy.export_invoices",
                         "vinculo.billing.privacy.erase_invoices", order=30,
                         customer_export="vinculo.billing.privacy."
                                         "export_invoices_for_customer",
                         kept=_("Issued invoices and credit notes stay exactly as issued: the law "
                                "requires keeping them and they are never edited.")),
            PersonalData("returns", _("Returns"),
                         "vinculo.billing.privacy.export_returns",
                         "vinculo.core.privacy.nothing", order=31),
        ),
        indicators=(
            Indicator("revenue", _("Revenue"), "vinculo.billing.indicators.revenue", "money",
                      "analytics.view", additive=True, by_owner=True, order=10,
                      definition=_("Net invoiced in the period (invoices less credit notes) in "
                                   "the organisation's currency; a team or a person: the "
                                   "accounts they own.")),
        ),
    )
