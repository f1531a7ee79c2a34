"""Pages of loyalty: the programmes (list, form, a programme's page with its members and
economics), a member's page (balance, expiring points, history, redeem, adjust, bonus) and
the account page's panel (tier, balance, expiring points, latest moves; enrol). Thin: the
forms collect, the services decide."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from vinculo.billing.models import Invoice, InvoiceKind, InvoiceStatus
from vinculo.core.permissions import RoleRequiredMixin
from vinculo.core.roles import role_has
from vinculo.core.services import PermissionDeniedError
from vinculo.core.views_base import RecordDeleteView, RecordMixin, flash_error
from vinculo.core.views_settings import SettingsEditView
from vinculo.customers.models import Account
from vinculo.loyalty import selectors, services
from vinculo.loyalty.benefits import package_names
from vinculo.loyalty.forms import (
    AdjustForm,
    BonusForm,
    ProgramForm,
    RedeemForm,
    StatementForm,
)
from vinculo.loyalty.models import Member, Program
from vinculo.sales.models import Quote, QuoteStatus

VIEW, CHANGE, MANAGE = "loyalty.view", "loyalty.change", "loyalty.manage"
REFUSED = (ValidationError, PermissionDeniedError)


class ProgramListView(RoleRequiredMixin, View):
    permission = VIEW

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "loyalty/program_list.html",
                      {"rows": list(selectors.program_list())})


class ProgramDetailView(RecordMixin, View):
    """The programme in words, its members by balance (the first 50) and its economics."""

    model = Program
    permission = VIEW

    def get(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponse:
        program = self.get_object()
        members = selectors.members(program, request.user)
        return render(request, "loyalty/program_detail.html", {
            "program": program, "members": members[:50], "member_count": members.count(),
            # the whole programme's liability and the members' lift: organisation-wide figures
            "economics": (selectors.economics(program)
                          if role_has(request.user.role, "analytics.view") else None),
            "rules": selectors.rules_in_words(program),
            "tiers": selectors.tiers_in_words(program),
            "rewards": selectors.rewards_in_words(program),
            "currency": request.user.organization.base_currency})


class ProgramEditView(SettingsEditView):
    model = Program
    permission = MANAGE
    form_class = ProgramForm
    create_service = staticmethod(services.program_create)
    update_service = staticmethod(services.program_update)
    instance_kwarg = "program"
    template_name = "loyalty/program_form.html"
    title = gettext_lazy("Loyalty programme")

    def success_url(self, record: Any) -> str:
        return reverse("loyalty:program_detail", kwargs={"uuid": record.uuid})

    def context(self, form: Any) -> dict[str, Any]:
        return {"back": reverse("loyalty:program_list")}


class ProgramDeleteView(RecordDeleteView):
    model = Program
    permission = MANAGE
    delete_service = staticmethod(services.program_delete)
    deactivate_service = staticmethod(services.program_deactivate)
    instance_kwarg = "program"
    list_url = "loyalty:program_list"


def _draft_quotes(member: Member) -> list[Quote]:
    return list(Quote.objects.filter(account_id=member.account_id, status=QuoteStatus.DRAFT)
                .order_by("-id")[:20])


def _invoices(member: Member) -> list[Invoice]:
    """The customer's latest issued invoices, that a credit-note reward may credit."""
    return list(Invoice.objects.filter(
        account_id=member.account_id, kind=InvoiceKind.INVOICE,
        status__in=(InvoiceStatus.ISSUED, InvoiceStatus.PAID)).order_by("-issue_date", "-id")
        [:20])


def _redeemed_message(entry: Any) -> str:
    if entry.code:
        return _("Redeemed. Coupon code: %(code)s") % {"code": entry.code}
    if entry.credit_note_id:
        return _("Redeemed: credit note %(n)s issued.") % {"n": entry.note}
    return _("Redeemed: the reward is on quote %(n)s.") % {"n": entry.note}


class MemberDetailView(RecordMixin, View):
    """A member: balance, tier, points expiring soon, the ledger, and what can be done."""

    model = Member
    permission = VIEW

    def page(self, request: HttpRequest, member: Member, status: int = 200,
             **forms: Any) -> HttpResponse:
        program = member.program
        tier = next((t for t in program.tiers or [] if t["name"] == member.tier), None)
        return render(request, "loyalty/member_detail.html", {
            "tier_package": package_names(program.organization_id).get(tier["package"])
            if tier and tier.get("package") else None,
            "member": member, "program": program, "balance": selectors.member_balance(member),
            "tier": tier,
            "expiring": selectors.expiring(member), "history": selectors.history(member),
            "redeem_form": forms.get("redeem") or RedeemForm(
                rewards=program.rewards or [], quotes=_draft_quotes(member),
                invoices=_invoices(member)),
            "statement_form": StatementForm(today=timezone.localdate()),
            "adjust_form": forms.get("adjust") or AdjustForm(),
            "bonus_form": forms.get("bonus") or BonusForm(),
            "bonus_kinds": [r["kind"] for r in program.earn_rules or []
                            if r["kind"] in ("review", "referral")],
        }, status=status)

    def get(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponse:
        member = self.get_object()
        return self.page(request, member)

    def post(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponse:
        member = self.get_object()
        what = request.POST.get("action")
        if what == "redeem":
            form: Any = RedeemForm(request.POST, rewards=member.program.rewards or [],
                                   quotes=_draft_quotes(member), invoices=_invoices(member))
        elif what == "adjust":
            form = AdjustForm(request.POST)
        elif what == "bonus":
            form = BonusForm(request.POST)
        else:
            raise Http404
        if not form.is_valid():
            return self.page(request, member, 400, **{what: form})
        data = dict(form.cleaned_data)
        try:
            if what == "redeem":
                quote = invoice = None
                if data.get("quote"):
                    quote = Quote.objects.filter(uuid=data["quote"],
                                                 account_id=member.account_id).first()
                if data.get("invoice"):
                    invoice = Invoice.objects.filter(uuid=data["invoice"],
                                                     account_id=member.account_id).first()
                entry = services.points_redeem(actor=request.user, member=member,
                                               reward=data["reward"], quote=quote,
                                               invoice=invoice)
                messages.success(request, _redeemed_message(entry))
            elif what == "adjust":
                services.points_adjust(actor=request.user, member=member, **data)
                messages.success(request, _("Points adjusted."))
            else:
                services.points_bonus(actor=request.user, member=member, **data)
                messages.success(request, _("Bonus given."))
        except REFUSED as exc:
            flash_error(request, exc)
        return HttpResponseRedirect(reverse("loyalty:member_detail",
                                            kwargs={"uuid": member.uuid}))


class StatementView(RecordMixin, View):
    """A member's statement for a period, printable as it is (the browser prints the page;
    no PDF is made): opening balance, every movement, closing balance, points expiring."""

    model = Member
    permission = VIEW

    def get(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponse:
        member = self.get_object()
        form = StatementForm(request.GET or None, today=timezone.localdate())
        if request.GET and not form.is_valid():
            return render(request, "loyalty/statement.html", {
                "member": member, "program": member.program, "form": form,
                "statement": None}, status=400)
        if request.GET:
            start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        else:
            start, end = selectors.default_period(timezone.localdate())
        # the dates shown are the period read, defaults included
        form = StatementForm(initial={"start": start, "end": end}, today=timezone.localdate())
        return render(request, "loyalty/statement.html", {
            "member": member, "program": member.program, "form": form,
            "statement": selectors.statement(member, start=start, end=end),
            "organization": request.user.organization})


class EnrolView(RoleRequiredMixin, View):
    """Enrol the account of the 360° page in a programme (a POST from the panel)."""

    permission = CHANGE

    def post(self, request: HttpRequest) -> HttpResponse:
        account = Account.objects.all().restrict(request.user).filter(
            uuid=_uuid(request.POST.get("account"))).first()
        program = Program.objects.filter(uuid=_uuid(request.POST.get("program"))).first()
        if account is None or program is None:
            raise Http404
        try:
            services.member_enrol(actor=request.user, program=program, account=account)
            messages.success(request, _("Enrolled in %(program)s.") % {"program": program})
        except REFUSED as exc:
            flash_error(request, exc)
        return HttpResponseRedirect(reverse("customers:account_detail",
                                            kwargs={"uuid": account.uuid}))


def _uuid(value: Any) -> str | None:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return None


class AccountPanelView(RoleRequiredMixin, View):
    """The 360° account page's box (``core.record_panels``): per programme the tier, balance,
    points expiring soon and the latest moves; the programmes it may join."""

    permission = VIEW

    def get(self, request: HttpRequest) -> HttpResponse:
        label, _sep, key = (request.GET.get("record") or "").partition(":")
        if label.lower() != "customers.account" or _uuid(key) is None:
            raise Http404
        account = Account.objects.all().restrict(request.user).filter(uuid=key).first()
        if account is None:
            raise Http404
        summary = selectors.account_summary(account)
        joined = {row["program"].pk for row in summary}
        open_programs = [p for p in Program.objects.filter(active=True).order_by("name")
                         if p.pk not in joined]
        return render(request, "loyalty/_account_panel.html", {
            "account": account, "summary": summary,
            "open_programs": open_programs if role_has(request.user.role, CHANGE) else []})
