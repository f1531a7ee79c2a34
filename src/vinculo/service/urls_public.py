"""Addresses anyone may reach (no login): the satisfaction survey behind a signed link."""

from django.urls import path

from vinculo.service import views

urlpatterns = [
    path("survey/<str:token>/", views.SurveyView.as_view(), name="survey"),
]
