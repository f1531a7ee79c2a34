"""Service desk pages: the desk, tickets (conversation, reply, notes, status), the knowledge
base, metrics and the customer's survey page. Thin: forms in, services decide."""

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

from vinculo.billing.models import Invoice
from vinculo.core.pickers import related_ref
from vinculo.core.services import PermissionDeniedError
from vinculo.core.tenancy import organization_scope
from vinculo.core.views_base import (
    Column,
    RecordListView,
    RecordMixin,
    ServiceEditView,
    flash_error,
    uuid_param,
)
from vinculo.customers import selectors as customer_selectors
from vinculo.customers.models import Account, Contact
from vinculo.interactions.services import primary_account
from vinculo.sales.models import Order
from vinculo.service import selectors, services
from vinculo.service.filters import ArticleFilterSet, TicketFilterSet
from vinculo.service.forms import ArticleForm, NoteForm, ReplyForm, TicketForm
from vinculo.service.models import (
    OPEN_STATUSES,
    Article,
    ArticleStatus,
    Ticket,
    TicketStatus,
    TicketType,
)


def _detail(ticket: Ticket) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("service:ticket_detail", kwargs={"uuid": ticket.uuid}))


class DeskView(RecordMixin, View):
    """The service desk at a glance: queues with their open, unassigned and at-risk tickets,
    and the tickets assigned to me."""

    permission = "service.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        mine = (Ticket.objects.all().restrict(request.user)
                .filter(assignee=request.user, status__in=OPEN_STATUSES)
                .select_related("queue", "account").order_by("resolution_due", "id")[:50])
        return render(request, "service/desk.html", {
            "queues": selectors.queue_overview(), "mine": list(mine)})


class TicketListView(RecordListView):
    model = Ticket
    permission_domain = "service"
    filterset_class = TicketFilterSet
    list_name = "tickets"
    title = gettext_lazy("Tickets")
    create_url = reverse_lazy("service:ticket_create")
    row_template = "service/rows/ticket.html"
    default_sort = "-created_at"
    columns = (
        Column("number", gettext_lazy("Number"), "number"),
        Column("subject", gettext_lazy("Subject")),
        Column("account", gettext_lazy("Customer")),
        Column("status", gettext_lazy("Status")),
        Column("priority", gettext_lazy("Priority"), "priority"),
        Column("assignee", gettext_lazy("Assigned to")),
        Column("due", gettext_lazy("Resolution due"), "resolution_due"),
    )

    def base_queryset(self) -> QuerySet:
        return super().base_queryset().select_related("account", "contact", "assignee", "queue")


class TicketEditView(ServiceEditView):
    """New ticket (prefilled from ``?account=``, ``?contact=``, ``?order=``, ``?invoice=``)
    or edit one."""

    model = Ticket
    form_class = TicketForm
    instance_kwarg = "ticket"
    template_name = "service/ticket_form.html"
    detail_url = "service:ticket_detail"
    update_service = staticmethod(services.ticket_update)

    def prefill(self) -> tuple[Account | None, dict[str, Any]]:
        request = self.request
        initial: dict[str, Any] = {}
        account = None
        if uuid_param(request.GET.get("order")):
            order = Order.objects.all().restrict(request.user).filter(
                uuid=uuid_param(request.GET["order"])).first()
            if order:
                account = order.account
                initial.update(order=order.uuid, type="request")
        if uuid_param(request.GET.get("invoice")):
            invoice = Invoice.objects.all().restrict(request.user).filter(
                uuid=uuid_param(request.GET["invoice"])).first()
            if invoice:
                account = invoice.account
                initial.update(invoice=invoice.uuid)
        for key, model in (("account", Account), ("contact", Contact)):
            value = uuid_param(request.GET.get(key) or request.POST.get(key))
            if value:
                record = model.objects.all().restrict(request.user).filter(uuid=value).first()
                if record is not None and key == "account":
                    account = record
                if record is not None and key == "contact":
                    initial["contact"] = str(record.uuid)
                    account = account or primary_account(record)
        if account is not None:
            initial["account"] = account.uuid
        initial.update({k: v for k, v in request.GET.items() if k in ("type", "subject")})
        # a kind asked for (``?type=return``, an order's "request") preselects its first type
        category = services.type_for_kind(request.user.organization_id,
                                          initial.pop("type", TicketType.REQUEST))
        if category is not None:
            initial["ticket_type"] = category.uuid
        return account, initial

    def initial(self) -> dict[str, Any]:
        return {} if "uuid" in self.kwargs else self.prefill()[1]

    def form_kwargs(self) -> dict[str, Any]:
        return {"account": None if "uuid" in self.kwargs else self.prefill()[0]}

    def create(self, form: TicketForm) -> Ticket:
        return services.ticket_create(actor=self.request.user, data=form.data_for_service())

    def render_form(self, form: Any, status: int = 200) -> HttpResponse:
        account = form.instance.account if form.instance.pk else self.prefill()[0]
        return render(self.request, self.template_name,
                      {"form": form, "record": form.instance, "account": account},
                      status=status)


class TicketCreateView(TicketEditView):
    permission = "service.add"


class TicketUpdateView(TicketEditView):
    permission = "service.change"


class TicketDetailView(RecordMixin, View):
    model = Ticket
    permission = "service.view"

    def get(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponse:
        ticket = self.get_object()
        return render(request, "service/ticket_detail.html", {
            "record": ticket, "conversation": selectors.conversation(ticket),
            "reply_form": ReplyForm(), "note_form": NoteForm(),
            "statuses": TicketStatus, "articles": list(ticket.articles.all()),
            "suggested": selectors.suggested_articles(ticket),
            "related_ref": related_ref(ticket),
            "history": customer_selectors.record_history_display(ticket)})


class TicketActionView(RecordMixin, View):
    """POST reply / note / status / assign / link (an article) / unlink."""

    model = Ticket
    permission = "service.change"

    def post(self, request: HttpRequest, uuid: uuid.UUID, step: str) -> HttpResponse:
        ticket = self.get_object()
        try:
            if step == "reply":
                form = ReplyForm(request.POST)
                if not form.is_valid():
                    raise ValidationError(_("Write the reply."))
                services.ticket_reply(actor=request.user, ticket=ticket,
                                      body=form.cleaned_data["body"], cc=form.cc_list(),
                                      status_after=form.cleaned_data["status_after"])
                messages.success(request, _("Reply sent."))
            elif step == "note":
                services.ticket_note(actor=request.user, ticket=ticket,
                                     body=request.POST.get("body", ""))
            elif step == "status":
                services.ticket_set_status(actor=request.user, ticket=ticket,
                                           status=request.POST.get("status", ""))
            elif step == "assign":
                assignee = None
                if request.POST.get("assignee") == "me":
                    assignee = request.user
                services.ticket_assign(actor=request.user, ticket=ticket, assignee=assignee)
            elif step in ("link", "unlink"):
                article = Article.objects.filter(uuid=request.POST.get("article")).first()
                if article is None:
                    raise ValidationError(_("Article not found."))
                services.ticket_link_article(actor=request.user, ticket=ticket,
                                             article=article, linked=step == "link")
            else:
                raise Http404
        except (ValidationError, PermissionDeniedError) as exc:
            flash_error(request, exc)
        return _detail(ticket)


class MetricsView(RecordMixin, View):
    permission = "service.metrics"

    def get(self, request: HttpRequest) -> HttpResponse:
        by = request.GET.get("by", "queue")
        if by not in selectors.GROUPS:
            by = "queue"
        rows = selectors.metrics(by=by)
        if request.GET.get("format") == "csv":
            return _csv(rows, by)
        return render(request, "service/metrics.html", {
            "rows": rows, "by": by, "groups": selectors.GROUPS})


def _csv(rows: list[dict[str, Any]], by: str) -> HttpResponse:
    import csv

    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="service-metrics-by-{by}.csv"'
    columns = ["group", "created", "backlog", "resolved", "first_response_minutes",
               "resolution_minutes", "first_response_compliance", "resolution_compliance",
               "breached_open", "reopen_rate", "csat", "csat_satisfied", "nps",
               "survey_answers"]
    writer = csv.writer(response)
    writer.writerow([by if c == "group" else c for c in columns])
    for row in rows:
        writer.writerow(["" if row[c] is None else row[c] for c in columns])
    return response


# ---- knowledge base -------------------------------------------------------------------------


class ArticleListView(RecordListView):
    model = Article
    permission_domain = "kb"
    filterset_class = ArticleFilterSet
    list_name = "articles"
    title = gettext_lazy("Knowledge base")
    create_url = reverse_lazy("service:article_create")
    row_template = "service/rows/article.html"
    default_sort = "title"
    columns = (
        Column("title", gettext_lazy("Title"), "title"),
        Column("status", gettext_lazy("Status")),
        Column("public", gettext_lazy("Visible to customers")),
        Column("updated_at", gettext_lazy("Updated"), "updated_at"),
    )

    def base_queryset(self) -> QuerySet:
        rows = super().base_queryset()
        if not self.request.GET.get("status"):
            # Agents search what is published; authors find drafts with the status filter.
            rows = rows.filter(status=ArticleStatus.PUBLISHED)
        return rows


class ArticleDetailView(RecordMixin, View):
    model = Article
    permission = "kb.view"

    def get(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponse:
        article = self.get_object()
        return render(request, "service/article_detail.html", {
            "record": article,
            "tickets": list(article.tickets.all().restrict(request.user)
                            .order_by("-created_at")[:20]),
            "history": customer_selectors.record_history_display(article)})


class ArticleEditView(ServiceEditView):
    model = Article
    form_class = ArticleForm
    template_name = "service/article_form.html"
    detail_url = "service:article_detail"

    create_service = staticmethod(services.article_create)
    update_service = staticmethod(services.article_update)
    instance_kwarg = "article"


class ArticleCreateView(ArticleEditView):
    permission = "kb.add"


class ArticleUpdateView(ArticleEditView):
    permission = "kb.change"


class ArticlePickerView(RecordMixin, View):
    """htmx: published articles matching what an agent types on a ticket."""

    permission = "kb.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        query = request.GET.get("q", "")
        articles = list(selectors.article_search(query)[:10]) if len(query.strip()) >= 2 else []
        ticket = Ticket.objects.all().restrict(request.user).filter(
            uuid=uuid_param(request.GET.get("ticket"))).first()
        return render(request, "service/_article_options.html",
                      {"articles": articles, "ticket": ticket})


# ---- the customer's survey page (no login: the signed link is the key) ----------------------


class SurveyView(View):
    """One click in the e-mail records the score (GET ``?csat=N``); the page then offers the
    optional recommendation question and a comment (POST)."""

    public = True

    def survey(self, token: str) -> Any:
        survey = services.survey_from_token(token)
        if survey is None:
            raise Http404
        return survey

    def page(self, request: Any, survey: Any, errors: dict | None = None,
             status: int = 200) -> HttpResponse:
        return render(request, "service/survey.html", {
            "survey": survey, "ticket": survey.ticket, "errors": errors or {},
            "scores": range(1, 6), "nps_scores": range(0, 11)}, status=status)

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        survey = self.survey(token)
        if "csat" in request.GET:
            with organization_scope(survey.organization_id):
                try:
                    survey = services.survey_answer(survey=survey, csat=request.GET["csat"])
                except ValidationError as exc:
                    return self.page(request, survey, exc.message_dict, status=400)
        return self.page(request, survey)

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        survey = self.survey(token)
        with organization_scope(survey.organization_id):
            try:
                survey = services.survey_answer(
                    survey=survey, csat=request.POST.get("csat") or None,
                    nps=request.POST.get("nps") or None,
                    comment=request.POST.get("comment", ""))
            except ValidationError as exc:
                return self.page(request, survey, exc.message_dict, status=400)
        return self.page(request, survey)

