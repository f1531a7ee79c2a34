"""Forms of the service desk pages; the services decide and save."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from vinculo.billing.models import Invoice
from vinculo.core.forms import scoped_formfield
from vinculo.core.limits import TEXT_MAX_LENGTH
from vinculo.core.models import User
from vinculo.core.pickers import RecordPicker, style
from vinculo.customers.models import Account, Contact
from vinculo.sales.models import Order
from vinculo.service import services
from vinculo.service.models import Article, Queue, Ticket, TicketCategory, TicketStatus


class TicketForm(RecordPicker, forms.ModelForm):
    """Account, contact, order and invoice come by UUID (from the page that opened the form,
    or the account search box); the rest are plain fields."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    account = forms.UUIDField(required=False, widget=forms.HiddenInput)
    contact = forms.ChoiceField(label=_("Contact"), required=False)
    order = forms.UUIDField(required=False, widget=forms.HiddenInput)
    invoice = forms.UUIDField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Ticket
        fields = ["ticket_type", "subject", "description", "queue", "priority", "assignee",
                  "requester_email"]
        widgets = {"description": forms.Textarea(attrs={"rows": 5})}
        formfield_callback = scoped_formfield

    def __init__(self, *args: Any, user: User, account: Account | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        # the organisation's active types, and the ticket's own even if since deactivated
        current_type = self.instance.ticket_type_id if self.instance.pk else None
        ticket_type = self.fields["ticket_type"]
        ticket_type.queryset = TicketCategory.objects.filter(
            Q(active=True) | Q(pk=current_type)).order_by("order", "name")
        ticket_type.to_field_name = "uuid"
        ticket_type.required = True
        ticket_type.empty_label = None
        self.fields["queue"].queryset = Queue.objects.all()
        self.fields["queue"].required = False
        self.fields["queue"].help_text = _("Empty: the queue for this type of ticket.")
        self.fields["assignee"].queryset = User.objects.filter(
            organization_id=user.organization_id, is_active=True)
        self.fields["assignee"].help_text = _("Empty: by the queue's assignment rule.")
        account = account or (self.instance.account if self.instance.pk else None)
        contacts = list(Contact.objects.filter(memberships__account=account)
                        .order_by("full_name")[:100]) if account else []
        current = self.instance.contact if self.instance.pk else None
        if current is not None and current not in contacts:
            contacts.insert(0, current)
        self.fields["contact"].choices = [("", "—"), *[(str(c.uuid), str(c)) for c in contacts]]
        if self.instance.pk:
            self.initial.update({
                "version": self.instance.version,
                "account": self.instance.account.uuid if self.instance.account else None,
                "contact": str(current.uuid) if current else ""})
        style(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        data["account"] = self.pick(Account, data.get("account"), "account")
        data["contact"] = self.pick(Contact, data.get("contact"), "contact")
        # documents the user may see (their account's record rule), like the pickers above
        data["order"] = Order.objects.all().restrict(self.user).filter(
            uuid=data["order"]).first() if data.get("order") else None
        data["invoice"] = Invoice.objects.all().restrict(self.user).filter(
            uuid=data["invoice"]).first() if data.get("invoice") else None
        return data

    def data_for_service(self) -> dict[str, Any]:
        # the kind (``type``) follows the chosen type
        data = {key: self.cleaned_data.get(key) for key in services.TICKET_FIELDS
                if key != "type"}
        data["requester_email"] = data["requester_email"] or ""
        data["description"] = data["description"] or ""
        if self.instance.pk is None:
            data = {k: v for k, v in data.items() if v not in (None, "")}
        return data


REPLY_STATUSES = [(TicketStatus.WAITING, _("Reply and wait on the customer")),
                  (TicketStatus.OPEN, _("Reply and keep open")),
                  (TicketStatus.RESOLVED, _("Reply and resolve"))]


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Reply to the customer"), max_length=TEXT_MAX_LENGTH,
                           widget=forms.Textarea(attrs={"rows": 6}))
    cc = forms.CharField(label=_("Cc"), required=False, max_length=1000, widget=forms.TextInput(
        attrs={"placeholder": _("Other addresses, separated by commas")}))
    status_after = forms.ChoiceField(label=_("Then"), choices=REPLY_STATUSES,
                                     initial=TicketStatus.WAITING)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style(self)

    def cc_list(self) -> list[str]:
        return [a.strip() for a in self.cleaned_data.get("cc", "").split(",") if a.strip()]


class NoteForm(forms.Form):
    body = forms.CharField(label=_("Internal note"), max_length=TEXT_MAX_LENGTH,
                           widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style(self)


class ArticleForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Article
        fields = ["title", "body", "keywords", "status", "public"]
        widgets = {"body": forms.Textarea(attrs={"rows": 14})}

    def __init__(self, *args: Any, user: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["version"] = self.instance.version
        style(self)

    def data_for_service(self) -> dict[str, Any]:
        return {key: self.cleaned_data[key] for key in services.ARTICLE_FIELDS}
