"""Addresses inside campaign e-mails, reachable without signing in (``views_public``)."""

from django.urls import path

from vinculo.marketing import views_public

urlpatterns = [
    path("m/o/<str:token>/<str:sig>/", views_public.OpenPixelView.as_view(),
         name="marketing_open"),
    path("m/c/<str:token>/<str:sig>/", views_public.ClickView.as_view(), name="marketing_click"),
    path("m/u/<str:token>/<str:sig>/", views_public.UnsubscribeView.as_view(),
         name="marketing_unsubscribe"),
]
