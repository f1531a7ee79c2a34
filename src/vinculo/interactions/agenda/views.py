"""Task pages: the list, the form, one task, my day, the calendar, the iCalendar feed and its
settings. Thin: forms in, services decide, selectors read."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from vinculo.core.pickers import related_ref
from vinculo.core.roles import role_has
from vinculo.core.services import PermissionDeniedError
from vinculo.core.tenancy import organization_scope
from vinculo.core.views_base import (
    Column,
    RecordListView,
    RecordMixin,
    ServiceEditView,
    flash_error,
)
from vinculo.customers import selectors as customer_selectors
from vinculo.interactions.agenda import selectors, services
from vinculo.interactions.agenda.filters import TaskFilterSet
from vinculo.interactions.agenda.forms import RECURRENCE_PRESETS, TaskForm
from vinculo.interactions.agenda.ical import tasks_calendar
from vinculo.interactions.models import CalendarFeed, Task
from vinculo.interactions.views import context_records


def _detail(task: Task) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("interactions:task_detail", kwargs={"uuid": task.uuid}))


class TaskListView(RecordListView):
    model = Task
    permission_domain = "interactions"
    filterset_class = TaskFilterSet
    list_name = "tasks"
    title = gettext_lazy("Tasks")
    create_url = reverse_lazy("interactions:task_create")
    row_template = "interactions/tasks/rows/task.html"
    default_sort = "due_at"
    columns = (
        Column("due_at", gettext_lazy("Due"), "due_at"),
        Column("title", gettext_lazy("Task"), "title"),
        Column("with", gettext_lazy("With")),
        Column("assignee", gettext_lazy("Assigned to")),
        Column("status", gettext_lazy("Status")),
    )

    def base_queryset(self) -> QuerySet:
        return super().base_queryset().select_related("assignee", "account", "contact")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        fields = context["filterset"].form.fields
        for name in ("account", "contact"):  # set by links from a record, not typed
            if not self.request.GET.get(name):
                fields.pop(name, None)
        return context


class TaskEditView(ServiceEditView):
    """New task (prefilled from ``?account=``, ``?contact=``, ``?related=app.model:uuid``)
    or edit one; the version check turns a concurrent edit into a form error."""

    model = Task
    permission = "interactions.change"
    form_class = TaskForm
    instance_kwarg = "task"
    template_name = "interactions/tasks/task_form.html"
    detail_url = "interactions:task_detail"
    update_service = staticmethod(services.task_update)

    def instance(self) -> Task | None:
        return self.get_object() if "uuid" in self.kwargs else None

    def initial(self) -> dict[str, Any]:
        if "uuid" in self.kwargs:
            return {}
        records = context_records(self.request)
        return {"account": records["account"].uuid if records["account"] else None,
                "contact": records["contact"].uuid if records["contact"] else None,
                "related": related_ref(records["related"]),
                "title": self.request.GET.get("title", "")}

    def save(self, form: TaskForm, instance: Task | None) -> Task:
        if instance is not None:
            return super().save(form, instance)
        return services.task_create(actor=self.request.user, data=form.data_for_service(),
                                    related=form.cleaned_data["related_record"])

    def render_form(self, form: TaskForm, status: int = 200) -> HttpResponse:
        task = form.instance
        if task.pk:
            records = {"account": task.account, "contact": task.contact,
                       "related": task.related}
        else:
            records = context_records(self.request)
        return render(self.request, self.template_name, {
            "form": form, "record": task, "presets": RECURRENCE_PRESETS, **records},
            status=status)


class TaskCreateView(TaskEditView):
    permission = "interactions.add"


class TaskDetailView(RecordMixin, View):
    model = Task
    permission = "interactions.view"

    def get(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponse:
        task = self.get_object()
        visible = Task.objects.all().restrict(request.user)
        return render(request, "interactions/tasks/task_detail.html", {
            "record": task, "related": task.related,
            "previous": visible.filter(pk=task.previous_id).first()
            if task.previous_id else None,
            "following": visible.filter(previous=task).first(),
            "can_delete": role_has(request.user.role, "interactions.delete"),
            "history": customer_selectors.record_history_display(task)})


class TaskActionView(RecordMixin, View):
    """POST complete / cancel / delete. From a list (htmx) the task's line is redrawn in
    place, followed by the next occurrence of a recurring task."""

    model = Task
    permission = "interactions.change"
    step = ""

    def post(self, request: HttpRequest, uuid: uuid.UUID) -> HttpResponse:
        task = self.get_object()
        following = None
        try:
            if self.step == "complete":
                following = services.task_complete(actor=request.user, task=task)
            elif self.step == "cancel":
                services.task_cancel(actor=request.user, task=task)
            else:
                services.task_delete(actor=request.user, task=task)
        except (ValidationError, PermissionDeniedError) as exc:
            if request.htmx:
                task.refresh_from_db()
                return render(request, "interactions/tasks/_task_item.html", {
                    "task": task, "back": request.POST.get("next", ""),
                    "error": " ".join(getattr(exc, "messages", [str(exc)]))},
                    status=403 if isinstance(exc, PermissionDeniedError) else 400)
            flash_error(request, exc)
            return _detail(task)
        if self.step == "delete":
            messages.success(request, _("Task deleted."))
            return HttpResponseRedirect(reverse("interactions:task_list"))
        task.refresh_from_db()
        if request.htmx:
            return render(request, "interactions/tasks/_task_item.html", {
                "task": task, "following": following, "back": request.POST.get("next", "")})
        if following is not None:
            messages.success(request, _("Done. Next: %(due)s") % {
                "due": timezone.localtime(following.due_at).strftime("%Y-%m-%d %H:%M")})
        else:
            messages.success(request, _("Done.") if self.step == "complete"
                             else _("Task cancelled."))
        target = request.POST.get("next", "")
        if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
            return HttpResponseRedirect(target)
        return _detail(task)


class MyDayView(RecordMixin, View):
    permission = "interactions.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        day = selectors.my_day(request.user)
        return render(request, "interactions/tasks/my_day.html", {
            **day, "now": timezone.now(),
            "counts": {key: len(day[key]) for key in ("overdue", "today", "upcoming")}})


def _month(value: str) -> tuple[int, int]:
    """``2026-12`` → (2026, 12); anything else → this month."""
    try:
        moment = dt.datetime.strptime(value, "%Y-%m")
        if moment.year >= 1900:
            return moment.year, moment.month
    except ValueError:
        pass
    today = timezone.localdate()
    return today.year, today.month


class CalendarView(RecordMixin, View):
    """A month, Monday first, with the tasks on their (local) due dates; on a phone the
    same month reads as a list of days."""

    permission = "interactions.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        year, month = _month(request.GET.get("month", ""))
        everyone = request.GET.get("all") == "1"
        weeks = selectors.month_grid(year, month)
        days = selectors.tasks_by_day(request.user, weeks[0][0], weeks[-1][-1],
                                      everyone=everyone)
        first = dt.date(year, month, 1)
        previous = first - dt.timedelta(days=1)
        following = first + dt.timedelta(days=32)
        return render(request, "interactions/tasks/calendar.html", {
            "first": first, "today": timezone.localdate(), "everyone": everyone,
            "weeks": [[(day, days.get(day, [])) for day in week] for week in weeks],
            "agenda": [(day, days[day]) for week in weeks for day in week
                       if day.month == month and day in days],
            "previous": f"{previous:%Y-%m}", "next": f"{following:%Y-%m}"})


def feed_url(key: str) -> str:
    return settings.SITE_URL + reverse("interactions:calendar_feed", kwargs={"key": key})


class FeedSettingsView(RecordMixin, View):
    """Create, replace or turn off one's secret calendar address. Only a hash is kept, so the
    address is shown once, in the answer to the request that made it."""

    permission = "interactions.view"

    def page(self, request: Any, key: str = "") -> HttpResponse:
        response = render(request, "interactions/tasks/feed_settings.html", {
            "feed": CalendarFeed.objects.filter(user=request.user).first(),
            "url": feed_url(key) if key else "",
            "webcal": feed_url(key).replace("https://", "webcal://", 1)
            .replace("http://", "webcal://", 1) if key else ""})
        response["Cache-Control"] = "no-store"
        return response

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.page(request)

    def post(self, request: HttpRequest) -> HttpResponse:
        if request.POST.get("action") == "revoke":
            services.calendar_feed_revoke(user=request.user)
            messages.success(request, _("Your calendar address no longer works."))
            return HttpResponseRedirect(reverse("interactions:feed_settings"))
        return self.page(request, services.calendar_feed_rotate(user=request.user))


class CalendarFeedView(View):
    """``GET /interactions/calendar/<key>.ics``: the user's tasks for calendar apps. No login:
    the key is the secret; an unknown or revoked key is a 404."""

    public = True

    def get(self, request: HttpRequest, key: str) -> HttpResponse:
        user = selectors.feed_user(key)
        if user is None or user.organization_id is None:
            raise Http404
        with organization_scope(user.organization_id):
            body = tasks_calendar(selectors.feed_tasks(user),
                                  name=_("Vínculo: %(name)s") % {"name": user})
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        response["Cache-Control"] = "private, no-cache"
        response["Content-Disposition"] = 'inline; filename="vinculo.ics"'
        return response


