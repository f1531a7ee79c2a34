import datetime as dt

from django.utils.translation import gettext_lazy as _

from vinculo.core.plugins import (
    ApiRoute,
    Contract,
    DemoGenerator,
    Event,
    Job,
    MenuItem,
    PersonalData,
    VinculoApp,
)
from vinculo.core.record_panels import EXTENSION_POINT, RecordPanel
from vinculo.core.roles import Role, only

_TERM = {"account": "the account's UUID", "name": "the plan", "renewal_date": "ISO date",
         "value": "value per term, a decimal string", "currency": "ISO 4217 code",
         "term": "the term's number in the contract (1 for the first)"}


class ContractsConfig(VinculoApp):
    name = "vinculo.contracts"
    label = "contracts"
    verbose_name = _("Contracts")
    contract = Contract(
        url_prefix="contracts/",
        api_routes=(ApiRoute("contracts", "vinculo.contracts.api.ContractViewSet", "contract"),),
        permissions={
            "contracts.view": only(Role.ADMIN, Role.SALES_MANAGER, Role.SALES_REP, Role.ANALYST,
                                   Role.READ_ONLY, Role.SERVICE_AGENT),
            "contracts.add": only(Role.ADMIN, Role.SALES_MANAGER, Role.SALES_REP),
            "contracts.change": only(Role.ADMIN, Role.SALES_MANAGER, Role.SALES_REP),
            "contracts.delete": only(Role.ADMIN, Role.SALES_MANAGER),
        },
        menu_items=(
            MenuItem("sales", _("Contracts"), "contracts:contract_list", "contracts.view",
                     section=1, order=60),
        ),
        jobs=(Job("contracts_scan", daily_at=dt.time(1, 30)),),
        demo=DemoGenerator("vinculo.contracts.demo.generate", order=250,
                           estimate="vinculo.contracts.demo.estimate"),
        events=(
            Event("contract.created", "A contract was entered (its first term).", _TERM),
            Event("contract.renewed", "A contract was renewed: the record is the new term.",
                  {**_TERM, "previous_renewal_date": "the renewed term's renewal date"}),
            Event("contract.cancelled", "The customer cancelled: the contract ends on its "
                  "renewal date.", {**_TERM, "reason": "why (a CancelReason value)"}),
            Event("contract.lapsed", "The renewal date passed without a renewal.",
                  {**_TERM, "reason": "not_renewed"}),
            Event("contract.renewal_due", "A renewal is due within the term's notice days "
                  "(once per term).", {**_TERM, "days": "days until the renewal date",
                                       "auto_renew": "whether it renews by itself"}),
        ),
        extensions={EXTENSION_POINT: (
            RecordPanel("contracts", "contracts:account_panel", "contracts.view",
                        ("customers.account",), order=5),
        )},
        personal_data=(
            PersonalData("contracts", _("Contracts"),
                         "vinculo.contracts.privacy.export_contracts",
                         "vinculo.contracts.privacy.erase_contracts", order=35,
                         customer_export="vinculo.contracts.privacy."
                                         "export_contracts_for_customer"),
        ),
    )
