"""Generic test suites: one declaration per API endpoint and per page yields its test matrix.

An app's ``tests/<app>/test_generic.py`` declares, per model, an :class:`Api` (router basename,
permission domain, a builder of a record, create/update payloads) and a :class:`Page` (URL
names of the list, detail, create and edit pages), and subclasses :class:`ApiSuite` /
:class:`PageSuite` with it. The suites then check

* the role matrix: every role × every action, allowed → 2xx and not → 403, the expectation
  computed from ``vinculo.core.roles.role_has`` so the test follows the table;
* that a refused write changes nothing, and a successful one leaves exactly one audit row;
* the record-level rule of owner-scoped roles (a sales representative reaches their own and
  their team's records; another team's record is a 404);
* that another organisation's record is a 404 and absent from lists;
* that an update with a stale ``version`` is a 409 and writes nothing;
* a query-count baseline for every list and detail (``tests/query_counts.json``), measured with
  several rows so that an N+1 regression fails. Regenerate it with
  ``VINCULO_QUERY_COUNTS=update .venv/bin/python -m pytest tests -k query_count``.

:class:`Call` adds an action of an endpoint (``merge``, ``pay``…) to its role matrix, on the
same record or on one of its own (``build``). ``per_user=True`` marks records each user reaches
only when they made them (API tokens, imports). :class:`Probe` declares a single URL (a report,
a settings page) and the permission it needs. :class:`Report` declares a page or endpoint that
reads owner-scoped records without being their list (aging, service levels, exports): the
representative's figures count their own and their team's customers only. ``tests/generic/
test_coverage.py`` fails when an endpoint or record page with a UUID has no declaration, when a
model reached through an owner-scoped one has no record rule, and when a page or endpoint of the
documents' apps is declared nowhere. :class:`Deletion` declares a deletable model that other
records point to through protected keys: deleting one is a 409 naming them (page and API, in the
user's language), nothing removed, and deactivation offered where it has an ``active`` flag;
``test_coverage.py`` fails when such a model has no declaration.
"""

from tests.generic.suites import (
    Api,
    ApiSuite,
    Call,
    Deletion,
    DeletionSuite,
    Page,
    PageSuite,
    Probe,
    ProbeSuite,
    Report,
    ReportSuite,
)

__all__ = ["Api", "ApiSuite", "Call", "Deletion", "DeletionSuite", "Page", "PageSuite", "Probe",
           "ProbeSuite", "Report", "ReportSuite"]
