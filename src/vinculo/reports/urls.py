"""Pages of reports."""

app_name = "reports"

urlpatterns: list = []
