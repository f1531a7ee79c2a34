"""What a change of package means and who hears of it, one wording for every path: by hand,
an approval, a loyalty tier, and the thousands of moves after a recompute.

An owner gets one e-mail per evaluation listing their customers who moved; past ``LISTED``
lines it says how many more there are and links to the list of changes, so that the first
scoring of a million customers does not send e-mails of a hundred thousand lines.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext as _

from vinculo.core import events
from vinculo.core.models import User
from vinculo.core.notifications import notify
from vinculo.customers.models import Account
from vinculo.packages.models import ChangeStatus, PackageChange, ServicePackage

LISTED = 50


def rank_of(package: ServicePackage | None) -> int:
    return -1 if package is None else package.rank


def needs_approval(current: ServicePackage | None, new: ServicePackage | None) -> bool:
    """Leaving a package that requires approval for a lower one (or none) waits."""
    return (current is not None and current.downgrade_needs_approval
            and rank_of(new) < current.rank)


@dataclass(frozen=True)
class Line:
    """One customer's move in an owner's e-mail; a package name of '' is no package."""

    account: str
    before: str
    after: str
    pending: bool


def tell_owner(owner: User, lines: Sequence[Line], total: int) -> int:
    """One e-mail to an owner: the first ``LISTED`` of their ``total`` moved customers."""
    def message() -> tuple[str, str]:
        text = []
        for line in lines[:LISTED]:
            values = {"account": line.account, "before": line.before or _("no package"),
                      "after": line.after or _("no package")}
            if line.pending:
                text.append(_("%(account)s: %(before)s → %(after)s, waiting for a "
                              "manager's approval") % values)
            else:
                text.append(_("%(account)s: %(before)s → %(after)s") % values)
        if total > len(text):
            text.append(_("… and %(n)d more customers: the list of package changes has "
                          "them all.") % {"n": total - len(text)})
        subject = _("Service package changes for %(n)d of your customers") % {"n": total}
        return subject, "\n".join(text)
    return notify([owner], message, url=reverse("packages:change_list"))


def tell_owners(organization_id: int, changes: list[PackageChange]) -> int:
    """Tell the owners of a few changed customers (by hand, approval, loyalty tier)."""
    if not changes:
        return 0
    names: dict[int | None, str] = dict(ServicePackage.all_objects.filter(
        organization_id=organization_id).values_list("id", "name"))
    accounts = {a.pk: a for a in Account.all_objects.filter(
        pk__in=[c.account_id for c in changes]).select_related("owner")}
    by_owner: dict[int, list[Line]] = defaultdict(list)
    owners = {}
    for change in changes:
        account = accounts[change.account_id]
        if account.owner is None:
            continue
        owners[account.owner.pk] = account.owner
        by_owner[account.owner.pk].append(Line(
            account=account.name, before=names.get(change.from_package_id, ""),
            after=names.get(change.to_package_id, ""),
            pending=change.status == ChangeStatus.PENDING))
    return sum(tell_owner(owners[pk], lines, len(lines)) for pk, lines in by_owner.items())


def publish(changes: Sequence[PackageChange], actor: User | None) -> None:
    """One event per change (``package.changed`` or ``package.change_pending``)."""
    for change in changes:
        name = "package.changed" if change.status == ChangeStatus.APPLIED else \
            "package.change_pending"
        events.publish(name, record=change.account, actor=actor, data={
            "from": str(change.from_package.uuid) if change.from_package else None,
            "to": str(change.to_package.uuid) if change.to_package else None,
            "decided_by": change.decided_by})
