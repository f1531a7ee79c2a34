"""The task rules: repeat rules, the series, reminders sent once through a real SMTP server,
and what "my day" puts where around midnight in the install's time zone."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.core.factories import as_user
from tests.customers.factories import AccountFactory
from tests.interactions.factories import TaskFactory, local
from tests.smtp import smtp_server
from vinculo.core.roles import Role
from vinculo.interactions.agenda import selectors, services
from vinculo.interactions.models import Task, TaskStatus
from vinculo.interactions.tasks import reminders_send

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _madrid(settings):
    # A zone an hour or two east of UTC, with daylight saving: local midnight is the
    # previous day in UTC, and 9:00 is 8:00 UTC in winter and 7:00 UTC in summer.
    settings.TIME_ZONE = "Europe/Madrid"


def complete(task_: Task, actor) -> Task | None:
    with as_user(actor):
        return services.task_complete(actor=actor, task=task_)


@pytest.mark.django_db
def test_weekly_series_opens_each_next_monday_keeps_the_reminder_lead_and_stops_at_count(admin):
    # Three Mondays at 9:00 Madrid time, across the switch to summer time (29 March 2026).
    first = TaskFactory(actor=admin, title="Informe semanal", due_at=local(2026, 3, 23, 9),
                 remind_at=local(2026, 3, 23, 8, 30), recurrence="FREQ=WEEKLY;BYDAY=MO;COUNT=3",
                        priority="high")
    second = complete(first, admin)
    assert second is not None and second.previous_id == first.pk
    assert timezone.localtime(second.due_at) == local(2026, 3, 30, 9)
    assert second.due_at - second.remind_at == dt.timedelta(minutes=30)
    assert (second.title, second.priority, second.recurrence, second.assignee_id) == (
        "Informe semanal", "high", "FREQ=WEEKLY;BYDAY=MO;COUNT=3", admin.pk)
    assert second.status == TaskStatus.OPEN and second.reminded_at is None
    third = complete(second, admin)
    assert timezone.localtime(third.due_at) == local(2026, 4, 6, 9)
    assert timezone.localtime(third.remind_at) == local(2026, 4, 6, 8, 30)
    assert complete(third, admin) is None  # COUNT=3: the series is over
    with as_user(admin):
        assert list(Task.objects.order_by("due_at").values_list("status", flat=True)) == [
            "done", "done", "done"]


@pytest.mark.django_db
def test_by_day_is_read_in_local_time_near_midnight(admin):
    # Monday 00:30 in Madrid is Sunday 23:30 UTC: a rule run in UTC would pick Tuesday.
    monday = TaskFactory(actor=admin, due_at=local(2026, 1, 5, 0, 30),
                         recurrence="FREQ=WEEKLY;BYDAY=MO")
    following = complete(monday, admin)
    assert timezone.localtime(following.due_at) == local(2026, 1, 12, 0, 30)
    assert following.due_at.astimezone(dt.UTC).weekday() == 6  # Sunday in UTC


@pytest.mark.django_db
def test_until_as_a_date_means_the_end_of_that_local_day(admin):
    daily = TaskFactory(actor=admin, due_at=local(2026, 3, 3, 9),
                        recurrence="freq=daily;until=20260305")
    assert daily.recurrence == "FREQ=DAILY;UNTIL=20260305T225959Z"
    second = complete(daily, admin)
    third = complete(second, admin)
    assert timezone.localtime(third.due_at) == local(2026, 3, 5, 9)
    assert complete(third, admin) is None


@pytest.mark.django_db
def test_a_long_series_reads_its_start_in_one_query(admin, django_assert_max_num_queries):
    current = TaskFactory(actor=admin, due_at=local(2026, 1, 1, 9),
                          recurrence="FREQ=DAILY;COUNT=12")
    for _day in range(10):
        current = complete(current, admin)
    assert timezone.localtime(current.due_at) == local(2026, 1, 11, 9)
    current = Task.all_objects.get(pk=current.pk)  # as a page or the API reads it
    with django_assert_max_num_queries(2):
        assert services.next_occurrence(current) == local(2026, 1, 12, 9)
    last = complete(current, admin)
    assert complete(last, admin) is None  # the twelfth was the last


@pytest.mark.parametrize("rule", [
    "FREQ=SOMETIMES", "BYDAY=MO", "FREQ=WEEKLY;BYDAY=XX", "FREQ=MINUTELY",
    "FREQ=DAILY;COUNT=2;UNTIL=20261231", "FREQ=DAILY\nRRULE:FREQ=WEEKLY", "FREQ=DAILY;;",
    "FREQ=DAILY;UNTIL=2026-12-31", "FREQ=DAILY;BYMONTH=1;BYMONTH=2",
    "FREQ=YEARLY;BYYEARDAY=" + ",".join(str(day) for day in range(1, 80)),  # > 200 characters
])
@pytest.mark.django_db
def test_a_bad_repeat_rule_is_refused_on_its_field_and_nothing_is_saved(admin, rule):
    with pytest.raises(ValidationError) as error:
        TaskFactory(actor=admin, recurrence=rule)
    assert list(error.value.message_dict) == ["recurrence"]
    with as_user(admin):
        assert Task.objects.count() == 0


@pytest.mark.django_db
def test_bad_input_names_the_field(admin, other_admin):
    cases = [({"due_at": None}, "due_at"), ({"title": "  "}, "title"),
             ({"due_at": local(2026, 5, 1, 9), "remind_at": local(2026, 5, 1, 10)}, "remind_at"),
             ({"assignee": other_admin}, "assignee"), ({"priority": "urgent"}, "priority")]
    for data, field in cases:
        with pytest.raises(ValidationError) as error:
            TaskFactory(actor=admin, **data)
        assert field in error.value.message_dict, data
    with as_user(admin):
        assert Task.objects.count() == 0


@pytest.mark.django_db
def test_read_only_cannot_plan_tasks(users):
    from vinculo.core.services import PermissionDeniedError

    with pytest.raises(PermissionDeniedError):
        TaskFactory(actor=users[Role.READ_ONLY])


@pytest.mark.django_db(transaction=True)  # the real worker commits and closes connections
def test_reminders_go_out_once_through_smtp_and_never_again(
        users, other_admin, settings, django_capture_on_commit_callbacks, task_queue):
    rep = users[Role.SALES_REP]
    now = timezone.now()
    due = TaskFactory(actor=rep, title="Enviar la oferta", due_at=now + dt.timedelta(hours=1),
                      remind_at=now - dt.timedelta(minutes=1), notes="Con el descuento del 5 %")
    TaskFactory(actor=rep, title="Later", due_at=now + dt.timedelta(days=2),
                remind_at=now + dt.timedelta(days=1))
    done = TaskFactory(actor=rep, title="Already done", due_at=now + dt.timedelta(hours=2),
                       remind_at=now - dt.timedelta(minutes=5))
    complete(done, rep)
    foreign = TaskFactory(actor=other_admin, title="Globex call",
                          due_at=now + dt.timedelta(hours=3),
                          remind_at=now - dt.timedelta(minutes=2))
    with smtp_server() as (port, inbox):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        result = reminders_send.enqueue()  # the task, then the e-mails it queues
        task_queue.run()
        result.refresh()
        assert (result.status, result.return_value) == ("SUCCESSFUL", 2)
        with django_capture_on_commit_callbacks(execute=True):
            assert services.reminders_due() == 0  # run again: nothing is sent twice
        # Editing the task without moving its reminder does not ring it again either.
        due.refresh_from_db()
        with as_user(rep), django_capture_on_commit_callbacks(execute=True):
            services.task_update(actor=rep, task=due, expected_version=due.version, data={
                "title": "Enviar la oferta revisada", "remind_at": due.remind_at,
                "due_at": due.due_at})
            assert services.reminders_due() == 0
    by_recipient = {m["To"]: m for m in inbox}
    assert sorted(by_recipient) == sorted([rep.email, other_admin.email]) and len(inbox) == 2
    mine = by_recipient[rep.email]
    assert mine["Subject"] == "Reminder: Enviar la oferta"
    body = mine.get_payload(decode=True).decode()
    assert "Con el descuento del 5 %" in body and "/interactions/my-day/" in body
    assert by_recipient[other_admin.email]["Subject"] == "Reminder: Globex call"
    foreign.refresh_from_db()
    assert foreign.reminded_at is not None


@pytest.mark.django_db
def test_a_moved_reminder_rings_again(admin, settings, django_capture_on_commit_callbacks):
    settings.TASKS = IMMEDIATE
    now = timezone.now()
    planned = TaskFactory(actor=admin, due_at=now + dt.timedelta(hours=2),
                          remind_at=now - dt.timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reminders_due() == 1
    planned.refresh_from_db()
    with as_user(admin):
        services.task_update(actor=admin, task=planned, expected_version=planned.version,
                             data={"remind_at": now + dt.timedelta(hours=1)})
    planned.refresh_from_db()
    assert planned.reminded_at is None
    assert services.reminders_due(now=now + dt.timedelta(minutes=30)) == 0
    assert services.reminders_due(now=now + dt.timedelta(hours=1, minutes=1)) == 1


@pytest.mark.django_db
def test_my_day_sorts_tasks_by_local_days_around_midnight(users):
    from vinculo.interactions.services import interaction_log

    rep = users[Role.SALES_REP]
    rows = {
        "yesterday_late": local(2026, 3, 9, 23, 30),
        "today_early": local(2026, 3, 10, 0, 10),
        "today_late": local(2026, 3, 10, 23, 55),
        "tomorrow_early": local(2026, 3, 11, 0, 5),
        "in_a_week": local(2026, 3, 17, 23, 0),
        "too_far": local(2026, 3, 18, 0, 30),
    }
    for title, due in rows.items():
        TaskFactory(actor=rep, title=title, due_at=due)
    TaskFactory(actor=users["sales_rep_2"], title="teammate's", due_at=local(2026, 3, 10, 12))
    complete(TaskFactory(actor=rep, title="finished", due_at=local(2026, 3, 10, 12)), rep)
    with as_user(rep):
        interaction_log(actor=rep, data={"channel": "phone", "subject": "Llamada de hoy",
                                         "occurred_at": local(2026, 3, 10, 0, 20),
                                         "account": AccountFactory(actor=rep)})
        interaction_log(actor=rep, data={"channel": "visit", "subject": "Visita de ayer",
                                         "occurred_at": local(2026, 3, 9, 23, 50),
                                         "account": AccountFactory(actor=rep)})

    def titles(day, key):
        return [t.title if hasattr(t, "title") else t.subject for t in day[key]]

    with as_user(rep):
        day = selectors.my_day(rep, now=local(2026, 3, 10, 23, 58))
    assert day["day"] == dt.date(2026, 3, 10)
    assert titles(day, "overdue") == ["yesterday_late"]
    assert titles(day, "today") == ["today_early", "today_late"]
    assert titles(day, "upcoming") == ["tomorrow_early", "in_a_week"]
    assert titles(day, "interactions") == ["Llamada de hoy"]
    with as_user(rep):
        day = selectors.my_day(rep, now=local(2026, 3, 11, 0, 1))  # two minutes later
    assert titles(day, "overdue") == ["yesterday_late", "today_early", "today_late"]
    assert titles(day, "today") == ["tomorrow_early"]
    assert titles(day, "upcoming") == ["in_a_week", "too_far"]
    assert titles(day, "interactions") == []


@pytest.mark.django_db
def test_calendar_days_are_local_days(admin):
    # 00:30 on 1 December in Madrid is 23:30 on 30 November in UTC.
    TaskFactory(actor=admin, title="Cierre de mes", due_at=local(2026, 12, 1, 0, 30))
    weeks = selectors.month_grid(2026, 12)
    assert weeks[0][0] == dt.date(2026, 11, 30) and weeks[-1][-1] == dt.date(2027, 1, 3)
    assert all(week[0].weekday() == 0 for week in weeks) and len(weeks) == 5
    with as_user(admin):
        days = selectors.tasks_by_day(admin, weeks[0][0], weeks[-1][-1])
    assert {day: [t.title for t in tasks] for day, tasks in days.items()} == {
        dt.date(2026, 12, 1): ["Cierre de mes"]}
