"""Addresses anyone may reach (no login): public web forms and the inbound e-mail endpoint."""

from django.urls import path

from vinculo.interactions import views

urlpatterns = [
    path("f/<uuid:uuid>/", views.PublicWebFormView.as_view(), name="public_web_form"),
    path("inbound/email/", views.InboundEmailView.as_view(), name="inbound_email"),
]
