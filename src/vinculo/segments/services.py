"""Writes on segments: create, change, delete, the members of a static list (by hand or from
a CSV file) and the refresh that materialises a rule's members.

The refresh is set-based SQL: the rule's matches go once into a temporary table, then one
``UPDATE`` closes the stays of those who left, one ``INSERT … SELECT`` opens a stay for those
who entered, and the count is read from the table. Nothing is loaded into Python, so a
million members cost three statements.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from vinculo.core import events, sql
from vinculo.core.models import Organization, User
from vinculo.core.services import organization_of, require, versioned_save
from vinculo.core.tenancy import organization_scope
from vinculo.customers.models import Account, Contact
from vinculo.segments import rules
from vinculo.segments.models import MemberSource, Segment, SegmentKind, SegmentMember, Subject

MAX_IMPORT_LINES = 100_000
MATCH_TABLE = "vinculo_segment_match"


@dataclass(frozen=True)
class RefreshResult:
    entered: int
    left: int
    members: int


def _clean(segment: Segment) -> None:
    """Model checks (name, choices, uniqueness) and the rule, each error naming its part."""
    errors: dict[str, list[str]] = {}
    try:
        segment.full_clean(exclude=["rule"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if segment.kind == SegmentKind.STATIC:
        segment.rule = {}
    else:
        try:
            segment.rule = rules.check(segment.rule, subject=segment.subject,
                                       organization_id=segment.organization_id,
                                       segment_uuid=segment.uuid if segment.pk else None)
            segment.rule = rules.as_json(segment.rule)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def segment_create(*, actor: User, name: str, subject: str = Subject.CONTACTS,
                   kind: str = SegmentKind.RULE, rule: dict | None = None,
                   description: str = "") -> Segment:
    """Save a new segment; a rule is checked against the field registry first."""
    require(actor, "segments.add")
    segment = Segment(organization=organization_of(actor), name=name, subject=subject,
                      kind=kind, rule=rule or {}, description=description, owner=actor)
    _clean(segment)
    segment.save()
    return segment


SEGMENT_FIELDS = ("name", "description", "rule")


@transaction.atomic
def segment_update(*, actor: User, segment: Segment, expected_version: int | None,
                   **changes: Any) -> Segment:
    """Rename, describe or change the rule (the subject and kind stay: members would not
    mean the same). The members follow at the next refresh."""
    require(actor, "segments.change")
    unknown = set(changes) - set(SEGMENT_FIELDS)
    if unknown:
        raise ValidationError({k: _("This field cannot be changed.") for k in sorted(unknown)})
    for key, value in changes.items():
        setattr(segment, key, value)
    _clean(segment)
    return versioned_save(segment, expected_version=expected_version, fields=list(changes))


@transaction.atomic
def segment_delete(*, actor: User, segment: Segment) -> None:
    """Delete a segment and its member history; refused while another segment's rule names
    it (that rule would change meaning)."""
    require(actor, "segments.delete")
    used_by = [other.name for other in Segment.all_objects.filter(
        organization_id=segment.organization_id, kind=SegmentKind.RULE).exclude(pk=segment.pk)
        if any(ref == str(segment.uuid) for _p, ref in rules.references(other.rule or {}))]
    if used_by:
        raise ValidationError(_("The rule of %(names)s refers to this segment; change it "
                                "first.") % {"names": ", ".join(sorted(used_by))})
    SegmentMember.all_objects.filter(segment_id=segment.pk).delete()
    segment.delete()


def _member_column(segment: Segment) -> str:
    return "account_id" if segment.subject == Subject.ACCOUNTS else "contact_id"


def _recount(segment: Segment, now: Any) -> int:
    count = SegmentMember.all_objects.filter(segment_id=segment.pk, left_at=None).count()
    Segment.all_objects.filter(pk=segment.pk).update(member_count=count, refreshed_at=now)
    segment.member_count, segment.refreshed_at = count, now
    return count


def _static_only(segment: Segment) -> None:
    if segment.kind != SegmentKind.STATIC:
        raise ValidationError(_("Members are added by hand only to static lists; a rule-based "
                                "segment takes those its rule selects."))


@transaction.atomic
def segment_members_add(*, actor: User, segment: Segment,
                        records: Iterable[Account | Contact],
                        source: str = MemberSource.MANUAL) -> int:
    """Put records into a static list; those already in it stay as they are."""
    require(actor, "segments.change")
    _static_only(segment)
    column = _member_column(segment)
    present = set(SegmentMember.all_objects.filter(segment_id=segment.pk, left_at=None)
                  .values_list(column, flat=True))
    now = timezone.now()
    rows, seen = [], set()
    for record in records:
        if record.organization_id != segment.organization_id:
            raise ValidationError({"records": _("Not found.")})
        if record.pk in present or record.pk in seen:
            continue
        seen.add(record.pk)
        rows.append(SegmentMember(organization_id=segment.organization_id, segment=segment,
                                  entered_at=now, source=source, **{column: record.pk}))
    SegmentMember.all_objects.bulk_create(rows, batch_size=2000)
    _recount(segment, now)
    return len(rows)


@transaction.atomic
def segment_members_remove(*, actor: User, segment: Segment,
                           records: Iterable[Account | Contact]) -> int:
    """Take records out of a static list (their stay is closed, the history kept)."""
    require(actor, "segments.change")
    _static_only(segment)
    now = timezone.now()
    ids = [r.pk for r in records if r.organization_id == segment.organization_id]
    left = SegmentMember.all_objects.filter(
        segment_id=segment.pk, left_at=None, **{f"{_member_column(segment)}__in": ids}
    ).update(left_at=now)
    _recount(segment, now)
    return left


@dataclass(frozen=True)
class ImportResult:
    added: int
    matched: int
    errors: list[dict[str, Any]]


def segment_members_import(*, actor: User, segment: Segment, content: bytes | str) -> ImportResult:
    """Add the contacts (or accounts) a CSV file names by e-mail or by name, one per line
    (the first column; a header line ``email``/``name`` is skipped). Every line that names
    nobody, or more than one record, is reported with its number; the others are added."""
    require(actor, "segments.change")
    _static_only(segment)
    text = content.decode("utf-8-sig", errors="replace") if isinstance(content, bytes) else content
    lines = list(csv.reader(io.StringIO(text)))
    if len(lines) > MAX_IMPORT_LINES:
        raise ValidationError({"file": _("At most %(n)d lines.") % {"n": MAX_IMPORT_LINES}})
    model: Any = Account if segment.subject == Subject.ACCOUNTS else Contact
    name_field = "name" if model is Account else "full_name"
    base = model.all_objects.filter(organization_id=segment.organization_id, active=True)
    found: list[Any] = []
    errors: list[dict[str, Any]] = []
    for number, row in enumerate(lines, start=1):
        value = (row[0] if row else "").strip()
        if not value or (number == 1 and value.lower() in ("email", "e-mail", "correo",
                                                           "name", "nombre")):
            continue
        lookup = Q(email__iexact=value) if "@" in value else Q(**{f"{name_field}__iexact": value})
        matches = list(base.filter(lookup)[:2])
        if not matches:
            errors.append({"line": number, "value": value[:200],
                           "error": _("Nobody with this e-mail or name.")})
        elif len(matches) > 1:
            errors.append({"line": number, "value": value[:200],
                           "error": _("More than one record has this e-mail or name.")})
        else:
            found.append(matches[0])
    added = segment_members_add(actor=actor, segment=segment, records=found,
                                source=MemberSource.IMPORT)
    return ImportResult(added=added, matched=len(found), errors=errors)


@transaction.atomic
def segment_refresh(*, segment: Segment, actor: User | None = None) -> RefreshResult:
    """Recompute a segment's members now: close the stays of those who left, open one for
    those who entered (a customer who comes back gets a new row: the history is kept). A
    static list is what was put in it; it is only recounted."""
    if actor is not None:
        require(actor, "segments.change")
    # one refresh of a segment at a time (the nightly job and a button press may meet)
    segment = Segment.all_objects.select_for_update().get(pk=segment.pk)
    now = timezone.now()
    entered = left = 0
    if segment.kind == SegmentKind.STATIC:
        members = _recount(segment, now)
    else:
        entered, left, members = _materialise(segment, now)
        Segment.all_objects.filter(pk=segment.pk).update(member_count=members,
                                                         refreshed_at=now)
    events.publish("segment.refreshed", record=segment, actor=actor,
                   data={"segment": str(segment.uuid), "entered": entered, "left": left,
                         "members": members})
    return RefreshResult(entered=entered, left=left, members=members)


def _materialise(segment: Segment, now: Any) -> tuple[int, int, int]:
    rule = rules.check(segment.rule, subject=segment.subject,
                       organization_id=segment.organization_id)
    matched = rules.matching(rule, subject=segment.subject,
                             organization_id=segment.organization_id)
    try:
        select_sql, select_params = matched.order_by().values_list("pk").query.sql_with_params()
    except EmptyResultSet:  # the rule can select nobody (no analytics yet): all leave
        select_sql, select_params = "", ()
    member_table = SegmentMember._meta.db_table
    column = _member_column(segment)
    stamp = connection.ops.adapt_datetimefield_value(now)
    with sql.temporary_table(MATCH_TABLE, "id bigint PRIMARY KEY"):
        sql.room_to_hash()
        members = (sql.execute(f"INSERT INTO {MATCH_TABLE} (id) {select_sql}", select_params)
                   if select_sql else 0)
        sql.analyze(MATCH_TABLE)
        left = sql.execute(
            f"UPDATE {member_table} SET left_at = %s WHERE segment_id = %s AND left_at IS NULL"
            f" AND NOT EXISTS (SELECT 1 FROM {MATCH_TABLE} m WHERE m.id = {member_table}."
            f"{column})", [stamp, segment.pk])
        entered = sql.execute(
            f"INSERT INTO {member_table} (organization_id, segment_id, {column}, entered_at,"
            f" left_at, source) SELECT %s, %s, m.id, %s, NULL, %s FROM {MATCH_TABLE} m"
            f" WHERE NOT EXISTS (SELECT 1 FROM {member_table} s WHERE s.segment_id = %s"
            f" AND s.left_at IS NULL AND s.{column} = m.id)",
            [segment.organization_id, segment.pk, stamp, MemberSource.RULE, segment.pk])
    return entered, left, members


def refresh_order(segments: list[Segment]) -> list[Segment]:
    """Segments in an order where a segment comes after those its rule names, so that a
    "member of segment X" condition reads X's fresh members."""
    by_uuid = {str(s.uuid): s for s in segments}
    done: list[Segment] = []
    seen: set[str] = set()

    def visit(segment: Segment) -> None:
        key = str(segment.uuid)
        if key in seen:
            return
        seen.add(key)
        for _path, ref in rules.references(segment.rule or {}):
            if ref in by_uuid:
                visit(by_uuid[ref])
        done.append(segment)

    for segment in segments:
        visit(segment)
    return done


def segments_refresh_all(*, organization: Organization) -> list[RefreshResult]:
    """Refresh every segment of an organisation (the nightly job, and after each analytics
    recompute), each in its own transaction; a rule that no longer checks (a custom field
    was removed) is left as it was and logged, never stops the others."""
    import logging

    results = []
    with organization_scope(organization):
        segments = list(Segment.all_objects.filter(organization=organization))
        for segment in refresh_order(segments):
            try:
                results.append(segment_refresh(segment=segment))
            except ValidationError:
                logging.getLogger(__name__).warning(
                    "segment %s not refreshed: its rule no longer checks", segment.uuid)
    return results


def on_snapshot_recomputed(event: events.Occurrence) -> None:
    """Subscriber of ``snapshot.recomputed``: members follow the new analytics at once."""
    if event.organization_id is None:
        return
    organization = Organization.objects.get(pk=event.organization_id)
    segments_refresh_all(organization=organization)
