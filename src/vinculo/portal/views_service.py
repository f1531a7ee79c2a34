"""The customer's tickets (open, reply, survey) and the public knowledge base, on the
portal. The conversation shows only what was said with the customer: internal notes and
logged calls stay with staff (``selectors.conversation``)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse

from vinculo.attachments.models import RecordFile
from vinculo.attachments.services import max_upload_bytes
from vinculo.core.files import serve
from vinculo.portal import selectors, services
from vinculo.portal.auth import PortalView, portal_context
from vinculo.portal.forms import TicketForm
from vinculo.portal.views import PAGE_ROWS, _errors, _uuid
from vinculo.service.models import Article, Ticket


def _file_limits() -> dict[str, Any]:
    return {"files_max": services.FILES_MAX, "file_limit_mb": f"{max_upload_bytes() / 2**20:g}"}


class TicketListView(PortalView):
    section = "tickets"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "portal/tickets.html", {
            **portal_context(self.portal_user),
            "tickets": list(selectors.tickets(self.portal_user)[:PAGE_ROWS])})


class TicketCreateView(PortalView):
    section = "tickets"

    def page(self, form: TicketForm, errors: list[str] | None = None, status: int = 200
             ) -> HttpResponse:
        return render(self.request, "portal/ticket_new.html", {
            **portal_context(self.portal_user), "form": form, "errors": errors or [],
            **_file_limits()}, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.page(TicketForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = TicketForm(request.POST)
        if not form.is_valid():
            return self.page(form, status=400)
        try:
            ticket = services.ticket_open(portal_user=self.portal_user,
                                          subject=form.cleaned_data["subject"],
                                          description=form.cleaned_data["description"],
                                          files=request.FILES.getlist("files"))
        except ValidationError as exc:
            return self.page(form, _errors(exc), status=400)
        return HttpResponseRedirect(reverse("portal:ticket", kwargs={"uuid": ticket.uuid}))


class TicketDetailView(PortalView):
    section = "tickets"
    model = Ticket

    def ticket(self, uuid: Any) -> Any:
        ticket = selectors.tickets(self.portal_user).filter(uuid=_uuid(uuid)).first()
        if ticket is None:
            raise Http404
        return ticket

    def page(self, ticket: Any, errors: list[str] | None = None, status: int = 200
             ) -> HttpResponse:
        messages = [{"interaction": row, "mine": selectors.is_customer(row)}
                    for row in selectors.conversation(ticket)]
        return render(self.request, "portal/ticket.html", {
            **portal_context(self.portal_user), "ticket": ticket, "messages": messages,
            "survey": services.survey_of(ticket), "scores": range(1, 6),
            "files": list(selectors.ticket_files(ticket)[:PAGE_ROWS]),
            "errors": errors or [], **_file_limits()}, status=status)

    def get(self, request: HttpRequest, uuid: Any) -> HttpResponse:
        return self.page(self.ticket(uuid))

    def post(self, request: HttpRequest, uuid: Any) -> HttpResponse:
        ticket = self.ticket(uuid)
        try:
            if "csat" in request.POST:
                services.survey_answer(portal_user=self.portal_user, ticket=ticket,
                                       csat=request.POST.get("csat"),
                                       comment=request.POST.get("comment", ""))
            else:
                services.ticket_reply(portal_user=self.portal_user, ticket=ticket,
                                      body=request.POST.get("body", ""),
                                      files=request.FILES.getlist("files"))
        except ValidationError as exc:
            return self.page(ticket, _errors(exc), status=400)
        return HttpResponseRedirect(reverse("portal:ticket", kwargs={"uuid": ticket.uuid}))


class TicketFileView(PortalView):
    """A file of one of the account's tickets that came in through the portal; any other
    (another account's, staff's own) is a 404."""

    section = "tickets"
    model = RecordFile

    def get(self, request: HttpRequest, uuid: Any) -> HttpResponseBase:
        row = selectors.ticket_file(self.portal_user, _uuid(uuid))
        if row is None:
            raise Http404
        return serve(row.file, filename=row.filename, content_type=row.content_type)


class ArticleListView(PortalView):
    section = "articles"

    def get(self, request: HttpRequest) -> HttpResponse:
        query = (request.GET.get("q") or "").strip()[:100]
        rows = selectors.articles()
        if query:
            rows = rows.filter(title__icontains=query) | rows.filter(body__icontains=query)
        return render(request, "portal/articles.html", {
            **portal_context(self.portal_user), "articles": list(rows[:PAGE_ROWS]),
            "q": query})


class ArticleDetailView(PortalView):
    section = "articles"
    model = Article

    def get(self, request: HttpRequest, uuid: Any) -> HttpResponse:
        article = selectors.articles().filter(uuid=_uuid(uuid)).first()
        if article is None:
            raise Http404
        return render(request, "portal/article.html", {
            **portal_context(self.portal_user), "article": article})
