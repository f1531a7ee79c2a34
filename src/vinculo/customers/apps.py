from django.utils.translation import gettext_lazy as _

from vinculo.core.plugins import (
    ApiRoute,
    Capture,
    Contract,
    Dataset,
    DatasetField,
    DatasetJoin,
    DemoGenerator,
    Event,
    HomePanel,
    Menu,
    MenuItem,
    PersonalData,
    SearchProvider,
    VinculoApp,
)
from vinculo.core.roles import ALL, WRITERS, Role, only

_RECORD = {"name": "the record's display name"}

_HOME = "vinculo.customers.selectors.home_"
_PRIVACY = "vinculo.customers.privacy."


class CustomersConfig(VinculoApp):
    name = "vinculo.customers"
    label = "customers"
    verbose_name = _("Customers")
    contract = Contract(
        url_prefix="customers/",
        api_routes=(
            ApiRoute("accounts", "vinculo.customers.api.AccountViewSet", "account"),
            ApiRoute("contacts", "vinculo.customers.api.ContactViewSet", "contact"),
            ApiRoute("leads", "vinculo.customers.api.LeadViewSet", "lead"),
            ApiRoute("imports", "vinculo.customers.imports.api.ImportJobViewSet", "import"),
            ApiRoute("industries", "vinculo.customers.settings.api.IndustryViewSet", "industry"),
        ),
        permissions={
            "customers.view": ALL,
            "customers.add": WRITERS,
            "customers.change": WRITERS,
            "customers.delete": only(Role.ADMIN, Role.SALES_MANAGER),
            "customers.merge": only(Role.ADMIN, Role.SALES_MANAGER),
            "customers.import": only(Role.ADMIN, Role.SALES_MANAGER, Role.MARKETING),
            "customers.export": only(Role.ADMIN, Role.SALES_MANAGER, Role.MARKETING, Role.ANALYST),
            "leads.convert": only(Role.ADMIN, Role.SALES_MANAGER, Role.SALES_REP),
            # the choice lists of customers (industries)
            "customers.manage": only(Role.ADMIN),
        },
        menus=(Menu("customers", _("Customers"), order=10),),
        menu_items=(
            MenuItem("customers", _("Accounts"), "customers:account_list", "customers.view",
                     order=10),
            MenuItem("customers", _("Contacts"), "customers:contact_list", "customers.view",
                     order=20),
            MenuItem("customers", _("Leads"), "customers:lead_list", "customers.view", order=30),
            MenuItem("customers", _("Duplicates"), "customers:duplicates", "customers.view",
                     section=1, order=10),
            MenuItem("customers", _("Import"), "customers:import_start", "customers.import",
                     section=1, order=20),
            MenuItem("settings", _("Industries"), "customers:industry_list", "customers.manage",
                     section=12, order=10, header=_("Customer settings")),
        ),
        demo=DemoGenerator("vinculo.customers.demo.generate", order=100,
                           estimate="vinculo.customers.demo.estimate"),
        search=(
            SearchProvider("accounts", _("Accounts"), "vinculo.customers.selectors.search_accounts",
                           "customers/search/account.html", "customers.view", order=10,
                           detail_url="customers:account_detail"),
            SearchProvider("contacts", _("Contacts"), "vinculo.customers.selectors.search_contacts",
                           "customers/search/contact.html", "customers.view", order=20,
                           detail_url="customers:contact_detail"),
            SearchProvider("leads", _("Leads"), "vinculo.customers.selectors.search_leads",
                           "customers/search/lead.html", "customers.view", order=30,
                           detail_url="customers:lead_detail"),
        ),
        home_panels=(  # after the day's work (tasks, opportunities, tickets, figures)
            # leads are worked by those who turn them into opportunities, not by the desk
            HomePanel("my_leads", "customers/home/records.html",
                      _HOME + "my_leads", "sales.add", order=50),
            HomePanel("new_accounts", "customers/home/records.html",
                      _HOME + "new_accounts", "customers.change", order=60),
            HomePanel("new_contacts", "customers/home/records.html",
                      _HOME + "new_contacts", "customers.change", order=70),
            HomePanel("new_leads", "customers/home/records.html",
                      _HOME + "new_leads", "customers.change", order=80),
        ),
        events=(
            Event("account.created", "An account was created (by hand, the API or a lead's "
                  "conversion).", _RECORD),
            Event("account.changed", "An account's numeric custom fields (a credit limit, an "
                  "annual revenue…) changed by an edit.",
                  {"changes": "{\"custom.<key>\": [before, after]} of the fields that "
                              "changed, numbers as text (null when empty)"}),
            Event("contact.created", "A contact was created.", _RECORD),
            Event("lead.created", "A lead was created (by hand, the API or a web form).",
                  {"source": "where the lead came from (web, referral, …)"}),
            Event("lead.converted", "A lead became a contact (and an account).",
                  {"contact": "UUID of the contact", "account": "UUID of the account, or null"}),
            Event("account.merged", "Duplicate accounts were merged into this one.",
                  {"duplicate": "UUID of the account merged in (now deleted)"}),
            Event("contact.merged", "Duplicate contacts were merged into this one.",
                  {"duplicate": "UUID of the contact merged in (now deleted)"}),
        ),
        datasets=(
            Dataset("leads", _("Leads"), "customers.Lead", "customers.view", fields=(
                DatasetField("full_name"), DatasetField("company_name"), DatasetField("email"),
                DatasetField("phone"), DatasetField("country"), DatasetField("source"),
                DatasetField("status"), DatasetField("score"), DatasetField("converted_at"),
                DatasetField("created_at")),
                joins=(DatasetJoin("account", "accounts", "converted_account",
                                   _("Converted account")),),
                date_field="created_at", order=25,
                capture=(
                    Capture(_("Lead form"), url="customers:lead_create"),
                    Capture(_("Import of leads"), "import", (
                        "full_name", "company_name", "email", "phone", "country", "source"),
                            url="customers:import_start"),
                    Capture(_("Web forms"), "touch", ("full_name", "company_name", "email",
                                                      "phone", "source")),
                    Capture(_("Scoring and conversion"), "computed",
                            ("status", "score", "converted_at", "created_at")))),
            Dataset("accounts", _("Accounts"), "customers.Account", "customers.view", fields=(
                DatasetField("name"), DatasetField("is_person"), DatasetField("country"),
                DatasetField("industry"), DatasetField("size"), DatasetField("lifecycle_stage"),
                DatasetField("source"), DatasetField("service_tier"),
                DatasetField("billing_city"), DatasetField("billing_region"),
                DatasetField("email"), DatasetField("phone"), DatasetField("tax_id"),
                DatasetField("owner"), DatasetField("team"), DatasetField("active"),
                DatasetField("created_at")), date_field="created_at", order=10,
                capture=(
                    Capture(_("Account form"), url="customers:account_create"),
                    Capture(_("Import of accounts"), "import", (
                        "name", "is_person", "country", "industry", "size", "lifecycle_stage",
                        "source", "service_tier", "billing_city", "billing_region", "email",
                        "phone", "tax_id"), url="customers:import_start"),
                    Capture(_("When the record is saved"), "computed", ("created_at",)))),
            Dataset("contacts", _("Contacts"), "customers.Contact", "customers.view", fields=(
                DatasetField("full_name"), DatasetField("email"), DatasetField("phone"),
                DatasetField("mobile"), DatasetField("title"),
                DatasetField("preferred_language"), DatasetField("preferred_channel"),
                DatasetField("lifecycle_stage"), DatasetField("source"), DatasetField("owner"),
                DatasetField("team"), DatasetField("active"), DatasetField("created_at")),
                date_field="created_at", order=20,
                capture=(
                    Capture(_("Contact form"), url="customers:contact_create"),
                    Capture(_("Import of contacts"), "import", (
                        "full_name", "email", "phone", "mobile", "title", "preferred_language",
                        "preferred_channel", "lifecycle_stage", "source"),
                            url="customers:import_start"),
                    Capture(_("vCard import"), "import",
                            ("full_name", "email", "phone", "mobile", "title"),
                            url="customers:contact_vcard_import"),
                    Capture(_("When the record is saved"), "computed", ("created_at",)))),
        ),
        personal_data=(
            PersonalData("contact", _("Your details"), _PRIVACY + "export_contact",
                         _PRIVACY + "erase_contact", order=10,
                         kept=_("The contact stays, anonymous and inactive, because documents "
                                "point at it; an account keeps its name, tax id and billing "
                                "address, which issued invoices carry.")),
            PersonalData("consents", _("Consents"), _PRIVACY + "export_consents",
                         _PRIVACY + "erase_consents", order=11,
                         kept=_("Consents stay withdrawn, as the proof of what was agreed "
                                "and when.")),
            PersonalData("leads", _("Leads"), _PRIVACY + "export_leads",
                         _PRIVACY + "erase_leads", order=12,
                         customer_export=_PRIVACY + "export_leads_for_customer"),
        ),
    )
