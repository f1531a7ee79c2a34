"""The agenda: to-do tasks with reminders and recurrence, my day, the calendar and its
iCalendar feed."""
