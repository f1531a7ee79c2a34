"""Pages of exception rules, under Settings."""

from django.urls import path

from vinculo.automation import views

app_name = "automation"

urlpatterns = [
    path("rules/", views.RuleListView.as_view(), name="rule_list"),
    path("rules/new/", views.RuleEditView.as_view(), name="rule_create"),
    path("rules/<uuid:uuid>/", views.RuleDetailView.as_view(), name="rule_detail"),
    path("rules/<uuid:uuid>/edit/", views.RuleEditView.as_view(), name="rule_update"),
    path("rules/<uuid:uuid>/delete/", views.RuleDeleteView.as_view(), name="rule_delete"),
]
