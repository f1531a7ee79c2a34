"""Addresses inside campaign e-mails, reachable without signing in (``views_public``): the
unsubscribe page, through the full stack (a page people read, a form they post). The open
pixel and the click redirect are in ``urls_tracking``."""

from django.urls import path

from vinculo.marketing import views_public

urlpatterns = [
    path("m/u/<str:token>/<str:sig>/", views_public.UnsubscribeView.as_view(),
         name="marketing_unsubscribe"),
]
