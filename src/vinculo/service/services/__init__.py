"""Business rules of the service desk, by concern: tickets, SLA clocks and policies, business
calendars, queues and routing, the periodic scan, surveys, the knowledge base.

``from vinculo.service import services`` keeps working: the public names are re-exported here.
"""

from vinculo.service.services.calendars import (
    business_calendar_create,
    business_calendar_update,
    calendar_spec_check,
    holiday_create,
    holiday_delete,
    holidays_import,
)
from vinculo.service.services.knowledge import (
    ARTICLE_FIELDS,
    article_create,
    article_delete,
    article_update,
    ticket_link_article,
)
from vinculo.service.services.queues import (
    QUEUE_FIELDS,
    queue_create,
    queue_update,
    route_queue,
)
from vinculo.service.services.scan import (
    NEXT_PRIORITY,
    RUNNING,
    ScanResult,
    sla_scan,
)
from vinculo.service.services.sla import (
    SLA_FIELDS,
    calendar_of,
    pauses_of,
    policy_for,
    sla_policy_create,
    sla_policy_update,
)
from vinculo.service.services.surveys import (
    SURVEY_SALT,
    survey_answer,
    survey_from_token,
    survey_send,
    survey_token,
)
from vinculo.service.services.tickets import (
    AUTO_CLOSE_AFTER,
    SUBJECT_TOKEN,
    TICKET_FIELDS,
    TICKET_PREFIX,
    reply_subject,
    ticket_assign,
    ticket_create,
    ticket_delete,
    ticket_from_web_form,
    ticket_inbound_email,
    ticket_interaction_logged,
    ticket_merge_values,
    ticket_note,
    ticket_reply,
    ticket_set_status,
    ticket_update,
    ticket_url,
)

__all__ = [
    "ARTICLE_FIELDS",
    "AUTO_CLOSE_AFTER",
    "NEXT_PRIORITY",
    "QUEUE_FIELDS",
    "RUNNING",
    "SLA_FIELDS",
    "SUBJECT_TOKEN",
    "SURVEY_SALT",
    "TICKET_FIELDS",
    "TICKET_PREFIX",
    "ScanResult",
    "article_create",
    "article_delete",
    "article_update",
    "business_calendar_create",
    "business_calendar_update",
    "calendar_of",
    "calendar_spec_check",
    "holiday_create",
    "holiday_delete",
    "holidays_import",
    "pauses_of",
    "policy_for",
    "queue_create",
    "queue_update",
    "reply_subject",
    "route_queue",
    "sla_policy_create",
    "sla_policy_update",
    "sla_scan",
    "survey_answer",
    "survey_from_token",
    "survey_send",
    "survey_token",
    "ticket_assign",
    "ticket_create",
    "ticket_delete",
    "ticket_from_web_form",
    "ticket_inbound_email",
    "ticket_interaction_logged",
    "ticket_link_article",
    "ticket_merge_values",
    "ticket_note",
    "ticket_reply",
    "ticket_set_status",
    "ticket_update",
    "ticket_url",
]
