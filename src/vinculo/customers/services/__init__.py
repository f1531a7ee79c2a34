"""Business rules for customer records: create, update, delete, convert leads, merge duplicates.

Every function takes the acting user, runs in one transaction, and is the only writer of its
records: pages, the API, imports and the demo all come through here.

Split by concern: ``cleaning`` (the settable fields and ``record_clean``), ``records`` (create,
update, delete, account links, consent), ``conversion`` (``lead_convert``) and ``merging``
(``contact_merge``, ``account_merge``). The public names are re-exported here.
"""

from vinculo.customers.services.cleaning import (
    ACCOUNT_FIELDS,
    CLEAN_EXCLUDE,
    CONTACT_FIELDS,
    LEAD_FIELDS,
    record_clean,
    search_text_for,
)
from vinculo.customers.services.conversion import lead_convert
from vinculo.customers.services.erasure import (
    contact_anonymise,
    erasure_decide,
    erasure_request,
    personal_data_export,
)
from vinculo.customers.services.merging import account_merge, contact_merge
from vinculo.customers.services.records import (
    account_create,
    account_deactivate,
    account_delete,
    account_reactivate,
    account_update,
    consent_record,
    contact_create,
    contact_deactivate,
    contact_delete,
    contact_link_account,
    contact_reactivate,
    contact_update,
    lead_create,
    lead_delete,
    lead_update,
)

__all__ = [
    "ACCOUNT_FIELDS",
    "CLEAN_EXCLUDE",
    "CONTACT_FIELDS",
    "LEAD_FIELDS",
    "account_create",
    "account_deactivate",
    "account_delete",
    "account_merge",
    "account_reactivate",
    "account_update",
    "consent_record",
    "contact_anonymise",
    "contact_create",
    "contact_deactivate",
    "contact_delete",
    "contact_link_account",
    "contact_merge",
    "contact_reactivate",
    "contact_update",
    "erasure_decide",
    "erasure_request",
    "lead_convert",
    "lead_create",
    "lead_delete",
    "lead_update",
    "personal_data_export",
    "record_clean",
    "search_text_for",
]
