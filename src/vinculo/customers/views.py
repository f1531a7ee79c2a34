"""Pages for accounts, contacts and leads. Thin: forms collect, services decide."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from vinculo.core.forms import apply_service_errors
from vinculo.core.services import PermissionDeniedError
from vinculo.core.views_base import (
    Column,
    RecordDeleteView,
    RecordListView,
    RecordMixin,
    ServiceEditView,
    flash_error,
)
from vinculo.customers import forms, selectors, services
from vinculo.customers.filters import AccountFilterSet, ContactFilterSet, LeadFilterSet
from vinculo.customers.models import Account, Contact, Lead

# ---- lists -----------------------------------------------------------------------------------


class AccountListView(RecordListView):
    model = Account
    permission_domain = "customers"
    filterset_class = AccountFilterSet
    list_name = "accounts"
    title = gettext_lazy("Accounts")
    create_url = reverse_lazy("customers:account_create")
    export_url = reverse_lazy("customers:account_export")
    row_template = "customers/rows/account.html"
    default_sort = "name"
    columns = (
        Column("name", gettext_lazy("Name"), "name"),
        Column("lifecycle_stage", gettext_lazy("Stage"), "lifecycle_stage"),
        Column("industry", gettext_lazy("Industry")),
        Column("email", gettext_lazy("E-mail")),
        Column("owner", gettext_lazy("Owner")),
        Column("created_at", gettext_lazy("Created"), "created_at"),
    )

    def base_queryset(self) -> QuerySet:
        return super().base_queryset().select_related("owner")


class ContactListView(RecordListView):
    model = Contact
    permission_domain = "customers"
    filterset_class = ContactFilterSet
    list_name = "contacts"
    title = gettext_lazy("Contacts")
    create_url = reverse_lazy("customers:contact_create")
    export_url = reverse_lazy("customers:contact_export")
    row_template = "customers/rows/contact.html"
    default_sort = "full_name"
    columns = (
        Column("full_name", gettext_lazy("Name"), "full_name"),
        Column("email", gettext_lazy("E-mail"), "email"),
        Column("phone", gettext_lazy("Phone")),
        Column("title", gettext_lazy("Job title")),
        Column("owner", gettext_lazy("Owner")),
        Column("created_at", gettext_lazy("Created"), "created_at"),
    )

    def base_queryset(self) -> QuerySet:
        return super().base_queryset().select_related("owner")


class LeadListView(RecordListView):
    model = Lead
    permission_domain = "customers"
    filterset_class = LeadFilterSet
    list_name = "leads"
    title = gettext_lazy("Leads")
    create_url = reverse_lazy("customers:lead_create")
    export_url = reverse_lazy("customers:lead_export")
    row_template = "customers/rows/lead.html"
    default_sort = "-created_at"
    columns = (
        Column("full_name", gettext_lazy("Name"), "full_name"),
        Column("company_name", gettext_lazy("Company")),
        Column("status", gettext_lazy("Status"), "status"),
        Column("score", gettext_lazy("Score"), "score"),
        Column("owner", gettext_lazy("Owner")),
        Column("created_at", gettext_lazy("Created"), "created_at"),
    )

    def base_queryset(self) -> QuerySet:
        return super().base_queryset().select_related("owner")


# ---- detail (the 360° page) ------------------------------------------------------------------


class AccountDetailView(RecordMixin, View):
    model = Account
    permission_domain = "customers"

    def get(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponse:
        account = self.get_object()
        return render(
            request,
            "customers/account_detail.html",
            {"record": account, **selectors.account_360(account)},
        )


class ContactDetailView(RecordMixin, View):
    model = Contact
    permission_domain = "customers"

    def get(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponse:
        contact = self.get_object()
        return render(
            request,
            "customers/contact_detail.html",
            {
                "record": contact,
                "consent_form": forms.ConsentForm(),
                **selectors.contact_360(contact),
            },
        )


class LeadDetailView(RecordMixin, View):
    model = Lead
    permission_domain = "customers"

    def get(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponse:
        lead = self.get_object()
        return render(
            request,
            "customers/lead_detail.html",
            {"record": lead, "history": selectors.record_history_display(lead)},
        )


# ---- create / edit / delete ------------------------------------------------------------------


class RecordEditView(ServiceEditView):
    permission = "customers.change"
    template_name = "customers/record_form.html"

    def create_extras(self, form: Any) -> dict[str, Any]:
        return {}

    def create(self, form: Any) -> Any:
        return type(self).create_service(actor=self.request.user, data=form.data_for_service(),
                                         **self.create_extras(form))


class AccountCreateView(RecordEditView):
    model = Account
    form_class = forms.AccountForm
    create_service = staticmethod(services.account_create)
    permission = "customers.add"
    detail_url = "customers:account_detail"
    list_url = "customers:account_list"
    title = gettext_lazy("New account")


class AccountUpdateView(AccountCreateView):
    update_service = staticmethod(services.account_update)
    instance_kwarg = "account"
    permission = "customers.change"
    title = gettext_lazy("Edit account")


class ContactCreateView(RecordEditView):
    model = Contact
    form_class = forms.ContactForm
    create_service = staticmethod(services.contact_create)
    permission = "customers.add"
    detail_url = "customers:contact_detail"
    list_url = "customers:contact_list"
    title = gettext_lazy("New contact")

    def create_extras(self, form: Any) -> dict[str, Any]:
        """A contact created from an account's page joins that account."""
        account_uuid = form.cleaned_data.get("account")
        if not account_uuid:
            return {}
        account = selectors.visible(Account, self.request.user).filter(uuid=account_uuid).first()
        if account is None:
            raise Http404
        return {"accounts": [(account, form.cleaned_data.get("account_role", ""))]}


class ContactUpdateView(ContactCreateView):
    update_service = staticmethod(services.contact_update)
    instance_kwarg = "contact"
    permission = "customers.change"
    title = gettext_lazy("Edit contact")


class LeadCreateView(RecordEditView):
    model = Lead
    form_class = forms.LeadForm
    create_service = staticmethod(services.lead_create)
    permission = "customers.add"
    detail_url = "customers:lead_detail"
    list_url = "customers:lead_list"
    title = gettext_lazy("New lead")


class LeadUpdateView(LeadCreateView):
    update_service = staticmethod(services.lead_update)
    instance_kwarg = "lead"
    permission = "customers.change"
    title = gettext_lazy("Edit lead")


class CustomerDeleteView(RecordDeleteView):
    permission = "customers.delete"


class AccountDeleteView(CustomerDeleteView):
    model = Account
    delete_service = staticmethod(services.account_delete)
    deactivate_service = staticmethod(services.account_deactivate)
    instance_kwarg = "account"
    list_url = "customers:account_list"


class CustomerReactivateView(RecordMixin, View):
    """Bring a deactivated account or contact back (the button on its page)."""

    permission = "customers.delete"
    service: Any = None
    instance_kwarg = ""
    detail_url = ""

    def post(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponse:
        record = self.get_object()
        try:
            type(self).service(actor=request.user, **{self.instance_kwarg: record})
        except (ValidationError, PermissionDeniedError) as exc:
            flash_error(request, exc)
        else:
            messages.success(request, _("Reactivated: %(name)s") % {"name": record})
        return HttpResponseRedirect(reverse(self.detail_url, args=[record.uuid]))


class AccountReactivateView(CustomerReactivateView):
    model = Account
    service = staticmethod(services.account_reactivate)
    instance_kwarg = "account"
    detail_url = "customers:account_detail"


class ContactReactivateView(CustomerReactivateView):
    model = Contact
    service = staticmethod(services.contact_reactivate)
    instance_kwarg = "contact"
    detail_url = "customers:contact_detail"


class ContactDeleteView(CustomerDeleteView):
    model = Contact
    delete_service = staticmethod(services.contact_delete)
    deactivate_service = staticmethod(services.contact_deactivate)
    instance_kwarg = "contact"
    list_url = "customers:contact_list"


class LeadDeleteView(CustomerDeleteView):
    model = Lead
    delete_service = staticmethod(services.lead_delete)
    instance_kwarg = "lead"
    list_url = "customers:lead_list"


class LeadConvertView(RecordMixin, View):
    model = Lead
    permission = "leads.convert"

    def post(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponse:
        lead = self.get_object()
        try:
            account, contact = services.lead_convert(actor=request.user, lead=lead)
        except ValidationError as exc:
            fields = set(getattr(exc, "error_dict", {})) & set(forms.LeadForm.base_fields)
            if not fields:
                messages.error(request, " ".join(exc.messages))
                return HttpResponseRedirect(
                    reverse("customers:lead_detail", kwargs={"uuid": uuid}))
            # The lead holds what was refused: its form, with the error on that field, saves
            # the fix; the lead is then converted again from its page.
            form = forms.LeadForm(instance=lead, user=request.user)
            form.cleaned_data = {}
            apply_service_errors(form, exc)
            return render(request, "customers/record_form.html", {
                "form": form, "record": lead, "title": _("Fix the lead to convert it"),
                "form_action": reverse("customers:lead_update", kwargs={"uuid": uuid}),
                "cancel_url": reverse("customers:lead_detail", kwargs={"uuid": uuid})},
                status=400)
        messages.success(
            request,
            _("Lead converted into %(account)s / %(contact)s.")
            % {"account": account, "contact": contact},
        )
        return HttpResponseRedirect(
            reverse("customers:contact_detail", kwargs={"uuid": contact.uuid})
        )


class ContactConsentView(RecordMixin, View):
    """Record a consent given or withdrawn; answers the consent fragment for htmx."""

    model = Contact
    permission = "customers.change"

    def post(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponse:
        contact = self.get_object()
        form = forms.ConsentForm(request.POST)
        status = 200
        if form.is_valid():
            services.consent_record(actor=request.user, contact=contact, **form.cleaned_data)
        else:
            status = 400
        return render(
            request,
            "customers/_consents.html",
            {"record": contact, "consents": contact.consents.all(), "consent_form": form},
            status=status,
        )


# ---- duplicates and merge --------------------------------------------------------------------


class RecordMergeView(RecordMixin, View):
    permission = "customers.merge"
    merge_service: Any = None
    detail_url = ""

    def post(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponse:
        survivor = self.get_object()
        form = forms.MergeForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose the record to merge."))
            return HttpResponseRedirect(reverse(self.detail_url, kwargs={"uuid": uuid}))
        visible = self.model.objects.all().restrict(request.user)
        duplicate = visible.filter(uuid=form.cleaned_data["duplicate"]).first()
        if duplicate is None:
            raise Http404
        try:
            type(self).merge_service(actor=request.user, survivor=survivor, duplicate=duplicate)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("Merged %(dup)s into %(survivor)s.") % {"dup": duplicate, "survivor": survivor},
            )
        return HttpResponseRedirect(reverse(self.detail_url, kwargs={"uuid": uuid}))


class AccountMergeView(RecordMergeView):
    model = Account
    merge_service = staticmethod(services.account_merge)
    detail_url = "customers:account_detail"


class ContactMergeView(RecordMergeView):
    model = Contact
    merge_service = staticmethod(services.contact_merge)
    detail_url = "customers:contact_detail"


class DuplicatesView(RecordMixin, View):
    permission = "customers.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(
            request,
            "customers/duplicates.html",
            {
                "contact_groups": selectors.duplicate_groups(
                    selectors.visible(Contact, request.user)
                ),
                "account_groups": selectors.duplicate_groups(
                    selectors.visible(Account, request.user)
                ),
            },
        )
