"""Where each table goes when Vínculo is sharded by organisation (Citus), declared in one place.

Hosted Vínculo at thousands of organisations distributes its tenant tables by
``organization_id``: every row of one organisation lives on one node, and a page's queries,
which the scoped managers already filter by organisation, go to that node alone. Citus asks
three things of a distributed table, which ``tests/core/test_tenant_columns.py`` checks against
the app registry using the declarations below:

- it carries the distribution column, ``organization_id``, never null;
- its unique constraints (and primary key) include that column;
- a foreign key to another distributed table includes it on both sides, and a reference table
  never points at a distributed one.

Every table is one of: **distributed** (a model with a non-null ``organization`` — the default,
needing no declaration), **reference** (copied to every node: small tables that tenant tables
point at, or that are read before an organisation is known), **local** (kept on the
coordinator: queues and bookkeeping never joined with tenant data), or **pending** (tenant data
that cannot be distributed until a migration adds the column). ``docs/deployment.md`` explains
the layouts and the commands.
"""

from __future__ import annotations

DISTRIBUTION_COLUMN = "organization_id"

#: Copied whole to every node (``create_reference_table``).
REFERENCE_TABLES: dict[str, str] = {
    "core.Organization": "the tenants themselves: every distributed table's organization_id "
                         "points at this table",
    "core.User": "signing in finds the user by e-mail, unique across organisations, before "
                 "any organisation is known; distributed rows point at their users",
    "core.User_groups": "Django's groups of a user (a reference table's many-to-many)",
    "core.User_user_permissions": "Django's permissions of a user (as above)",
    "core.Team": "core_user.team_id points at it, and a reference table may not point at a "
                 "distributed one; a few rows per organisation",
    "core.ApiToken": "an API call finds its token by hash before the organisation is known",
    "interactions.CalendarFeed": "a calendar app fetches the feed by its key, with no "
                                 "organisation in the request",
    "auth.Group": "Django's auth tables: global, tiny",
    "auth.Group_permissions": "Django's auth tables: global, tiny",
    "auth.Permission": "Django's auth tables: global, tiny",
    "contenttypes.ContentType": "the kinds of record (attachments, the timeline) point at it",
}

#: Kept on the coordinator, undistributed: never joined with distributed tables.
LOCAL_TABLES: dict[str, str] = {
    "core.ScheduledJob": "one row per periodic job of the installation: the scheduler's lock",
    "core.OutgoingEmail": "the staff e-mail queue, read by the worker one row at a time; a "
                          "row may have no organisation (mail to a user without one)",
    "core.OutgoingEmailAttachment": "the files of a queued staff e-mail, read with its row",
    "sessions.Session": "sessions are found by key, never joined",
    "admin.LogEntry": "Django admin's own history, for back-office staff",
    "axes.AccessAttempt": "login lock-outs (django-axes), found by user name and address",
    "axes.AccessAttemptExpiration": "login lock-outs (django-axes)",
    "axes.AccessFailureLog": "login lock-outs (django-axes)",
    "axes.AccessLog": "login lock-outs (django-axes)",
    "django_tasks_database.DBTaskResult": "the task queue of VINCULO_TASKS=db; a sharded "
                                          "install queues on Redis (VINCULO_TASKS=rq)",
}

#: Tenant data that cannot be distributed yet, and what it takes. Empty since the automatic
#: many-to-many tables became through models with the organisation (``core.links``); a new
#: table without the column must be declared here, with its plan, or the test fails.
PENDING_TABLES: dict[str, str] = {}

#: Unique constraints of distributed tables without the organisation and without a foreign key
#: to a distributed table (which would fix the organisation), keyed ``label.field`` or
#: ``label.constraint_name``. On Citus each becomes unique per organisation
#: (``organization_id`` added in front); what is lost is uniqueness *across* organisations.
UNIQUE_EXCEPTIONS: dict[str, str] = {
    "core.Invitation.token_hash": "SHA-256 of a random 256-bit token: a collision across "
                                  "organisations is not a practical event; the invitation "
                                  "link is looked up on every shard",
    "marketing.CampaignRecipient.token": "a random token in tracking links and unsubscribe "
                                         "addresses, looked up on every shard (the public "
                                         "pixel and redirect have no organisation)",
    "integrations.IntegrationKey.key_hash": "SHA-256 of a random 256-bit key, looked up on "
                                            "every shard (the API request names no "
                                            "organisation before the key is found)",
    "integrations.IntegrationKey.user": "the key's own service account, made with it: a "
                                        "user belongs to one organisation, the key's",
}

#: Rules that cover many constraints at once (see the test).
UNIQUE_RULES: dict[str, str] = {
    "organization": "the constraint includes organization_id: as Citus needs it",
    "tenant_fk": "the constraint includes a foreign key to a distributed table, whose row "
                 "belongs to one organisation: adding organization_id in front (as Citus "
                 "needs) does not change what it allows, since the composite foreign key "
                 "keeps both rows in one organisation",
    "uuid": "the public UUID of every TenantModel: random (version 4), unique per "
            "organisation on Citus",
    "primary_key": "the id of every table comes from one sequence; on Citus the primary key "
                   "becomes (organization_id, id)",
}


def kind(label: str, has_organization: bool) -> str:
    """``distributed``, ``reference``, ``local`` or ``pending`` for a model's label."""
    if label in REFERENCE_TABLES:
        return "reference"
    if label in LOCAL_TABLES:
        return "local"
    if label in PENDING_TABLES:
        return "pending"
    return "distributed" if has_organization else "undeclared"


# ---- the layout, as SQL -----------------------------------------------------------------------


def tables() -> dict[str, list[str]]:
    """Database tables by kind (``distributed``, ``reference``, ``local``, ``pending``,
    ``undeclared``), in the app registry's order."""
    from django.apps import apps

    found: dict[str, list[str]] = {k: [] for k in ("distributed", "reference", "local",
                                                    "pending", "undeclared")}
    for model in apps.get_models(include_auto_created=True):
        has_organization = any(f.name == "organization" for f in model._meta.concrete_fields)
        found[kind(model._meta.label, has_organization)].append(
            model._meta.db_table)
    return found


_UNIQUE_INDEXES = """
    SELECT t.relname, i.relname, con.conname, x.indisprimary, pg_get_indexdef(x.indexrelid),
           ARRAY(SELECT a.attname FROM unnest(x.indkey) WITH ORDINALITY AS k(attnum, n)
                 JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
                 ORDER BY k.n)
    FROM pg_index x
    JOIN pg_class t ON t.oid = x.indrelid
    JOIN pg_class i ON i.oid = x.indexrelid
    LEFT JOIN pg_constraint con ON con.conindid = x.indexrelid AND con.contype IN ('p', 'u')
    WHERE x.indisunique AND t.relname = ANY(%s) AND t.relnamespace = to_regnamespace(%s)
    ORDER BY t.relname, i.relname"""

_FOREIGN_KEYS = """
    SELECT t.relname, con.conname, a.attname, r.relname
    FROM pg_constraint con
    JOIN pg_class t ON t.oid = con.conrelid
    JOIN pg_class r ON r.oid = con.confrelid
    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = con.conkey[1]
    WHERE con.contype = 'f' AND cardinality(con.conkey) = 1 AND r.relname = ANY(%s)
      AND t.relnamespace = to_regnamespace(%s)
    ORDER BY t.relname, con.conname"""


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def citus_plan(connection: object) -> dict[str, list[str]]:
    """The SQL that turns a migrated single-node PostgreSQL schema into the sharded layout,
    read from ``connection``'s catalog (constraint names as the migrations made them), in four
    steps, each a list of statements:

    ``prepare``: drop the single-column foreign keys that point at distributed tables; make
    each distributed table's primary key ``(organization_id, id)`` and put ``organization_id``
    in front of each of its unique constraints and indexes that lack it (Citus refuses a
    unique rule without the distribution column). Plain PostgreSQL.
    ``reference``: ``create_reference_table`` for the reference tables.
    ``distribute``: ``create_distributed_table(…, 'organization_id')`` for the others.
    ``foreign_keys``: the dropped keys again, composite, between distributed tables — so a row
    can only point at a row of its own organisation. (Keys from pending tables are not made
    again: those tables stay on the coordinator until they carry the organisation.)

    Run again after an upgrade, it prints only what the new migrations added: keys already
    composite and rules already holding the organisation are left as they are, and so are the
    tables Citus already holds.
    """
    layout = tables()
    distributed = layout.get("distributed", [])
    schema = "public"
    prepare: list[str] = []
    foreign_keys: list[str] = []
    done: set[str] = set()  # tables Citus already holds: an upgrade's plan leaves them out
    with connection.cursor() as cursor:  # type: ignore[attr-defined]
        cursor.execute("SELECT current_schema()")
        schema = cursor.fetchone()[0]
        cursor.execute("SELECT to_regclass('pg_dist_partition') IS NOT NULL")
        if cursor.fetchone()[0]:
            cursor.execute("SELECT logicalrelid::regclass::text FROM pg_dist_partition")
            done = {row[0].split(".")[-1].strip('"') for row in cursor.fetchall()}
        cursor.execute(_FOREIGN_KEYS, [distributed, schema])
        for table, name, column, target in cursor.fetchall():
            prepare.append(f"ALTER TABLE {_quote(table)} DROP CONSTRAINT {_quote(name)};")
            if table in distributed:
                foreign_keys.append(
                    f"ALTER TABLE {_quote(table)} ADD CONSTRAINT {_quote(name)} FOREIGN KEY "
                    f"(organization_id, {_quote(column)}) REFERENCES {_quote(target)} "
                    "(organization_id, id) DEFERRABLE INITIALLY DEFERRED;")
        cursor.execute(_UNIQUE_INDEXES, [distributed, schema])
        for table, index, constraint, primary, definition, columns in cursor.fetchall():
            if DISTRIBUTION_COLUMN in columns:
                continue
            wider = ", ".join(_quote(c) for c in [DISTRIBUTION_COLUMN, *columns])
            if primary:
                prepare.append(f"ALTER TABLE {_quote(table)} DROP CONSTRAINT "
                               f"{_quote(constraint)}, ADD PRIMARY KEY ({wider});")
            elif constraint:
                prepare.append(f"ALTER TABLE {_quote(table)} DROP CONSTRAINT "
                               f"{_quote(constraint)}, ADD CONSTRAINT {_quote(constraint)} "
                               f"UNIQUE ({wider});")
            else:  # a partial unique index (a UniqueConstraint with a condition)
                head, _, rest = definition.partition(" USING btree (")
                prepare.append(f"DROP INDEX {_quote(index)};")
                prepare.append(f"{head} USING btree ({DISTRIBUTION_COLUMN}, {rest};")
    return {
        "prepare": prepare,
        "reference": [f"SELECT create_reference_table('{t}');"
                      for t in layout.get("reference", []) if t not in done],
        "distribute": [f"SELECT create_distributed_table('{t}', '{DISTRIBUTION_COLUMN}');"
                       for t in distributed if t not in done],
        "foreign_keys": foreign_keys,
    }
