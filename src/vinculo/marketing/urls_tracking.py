"""The open pixel and the click redirect (``views_public``): the contract's ``lean_urls``,
which ``vinculo serve`` answers without the middleware (``core.lean``) — every reading of
every campaign e-mail comes here, and neither needs a session, a user or a language."""

from django.urls import path

from vinculo.marketing import views_public

urlpatterns = [
    path("m/o/<str:token>/<str:sig>/", views_public.OpenPixelView.as_view(),
         name="marketing_open"),
    path("m/c/<str:token>/<str:sig>/", views_public.ClickView.as_view(), name="marketing_click"),
]
