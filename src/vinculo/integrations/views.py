"""Settings → Webhooks and Settings → Integration keys (administrators). Thin: forms collect,
``services`` decide; the secret and the key are shown once, in the answer that made them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from vinculo.core.permissions import RoleRequiredMixin
from vinculo.integrations import selectors, services
from vinculo.integrations.forms import KeyForm, SubscriptionForm
from vinculo.integrations.models import IntegrationKey, WebhookDelivery, WebhookSubscription

MANAGE = "integrations.manage"


def _subscription(uuid: UUID) -> WebhookSubscription:
    row = WebhookSubscription.objects.filter(uuid=uuid).first()
    if row is None:
        raise Http404
    return row


class WebhookListView(RoleRequiredMixin, View):
    permission = MANAGE

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "integrations/webhook_list.html",
                      {"rows": list(selectors.subscriptions())})


class WebhookCreateView(RoleRequiredMixin, View):
    permission = MANAGE

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.page(SubscriptionForm())

    def page(self, form: SubscriptionForm, status: int = 200) -> HttpResponse:
        return render(self.request, "integrations/webhook_form.html",
                      {"form": form, "title": _("New webhook subscription")}, status=status)

    def post(self, request: HttpRequest) -> HttpResponse:
        form = SubscriptionForm(request.POST)
        if not form.is_valid():
            return self.page(form, 400)
        try:
            subscription, secret = services.subscription_create(
                actor=request.user, data=form.cleaned_data)
        except ValidationError as exc:
            form.show_service_errors(exc)
            return self.page(form, 400)
        return render(request, "integrations/secret.html",
                      {"subscription": subscription, "secret": secret})


class WebhookView(RoleRequiredMixin, View):
    """A subscription: its settings, its state and its delivery log with replay."""

    model = WebhookSubscription
    permission = MANAGE

    def page(self, subscription: WebhookSubscription, form: SubscriptionForm | None = None,
             status: int = 200) -> HttpResponse:
        form = form or SubscriptionForm(initial={
            "name": subscription.name, "url": subscription.url,
            "events": subscription.events, "version": subscription.version})
        rows = list(selectors.deliveries(subscription)[:50])
        return render(self.request, "integrations/webhook_detail.html",
                      {"record": subscription, "form": form, "deliveries": rows}, status=status)

    def get(self, request: HttpRequest, uuid: UUID) -> HttpResponse:
        return self.page(_subscription(uuid))

    def post(self, request: HttpRequest, uuid: UUID) -> HttpResponse:
        subscription = _subscription(uuid)
        form = SubscriptionForm(request.POST)
        if not form.is_valid():
            return self.page(subscription, form, 400)
        data = dict(form.cleaned_data)
        version = data.pop("version", None)
        try:
            services.subscription_update(actor=request.user, subscription=subscription,
                                         data=data, expected_version=version)
        except ValidationError as exc:
            form.show_service_errors(exc)
            return self.page(subscription, form, 400)
        messages.success(request, _("Subscription saved."))
        return HttpResponseRedirect(reverse("integrations:webhook", args=[uuid]))


class WebhookOperationView(RoleRequiredMixin, View):
    """One button of the subscription's page (POST): resume, pause, ping, rotate, delete."""

    model = WebhookSubscription
    permission = MANAGE
    operation = ""

    def post(self, request: HttpRequest, uuid: UUID) -> HttpResponse:
        subscription = _subscription(uuid)
        back = HttpResponseRedirect(reverse("integrations:webhook", args=[uuid]))
        if self.operation == "resume":
            services.subscription_resume(actor=request.user, subscription=subscription)
            messages.success(request, _("Subscription resumed."))
        elif self.operation == "pause":
            services.subscription_pause(actor=request.user, subscription=subscription)
            messages.success(request, _("Subscription paused."))
        elif self.operation == "ping":
            services.subscription_ping(actor=request.user, subscription=subscription)
            messages.success(request, _("A test event is on its way."))
        elif self.operation == "rotate":
            _row, secret = services.subscription_rotate_secret(actor=request.user,
                                                               subscription=subscription)
            return render(request, "integrations/secret.html",
                          {"subscription": subscription, "secret": secret})
        elif self.operation == "delete":
            services.subscription_delete(actor=request.user, subscription=subscription)
            messages.success(request, _("Subscription deleted."))
            return HttpResponseRedirect(reverse("integrations:webhook_list"))
        return back


class DeliveryReplayView(RoleRequiredMixin, View):
    model = WebhookDelivery
    permission = MANAGE

    def post(self, request: HttpRequest, uuid: UUID) -> HttpResponse:
        row = WebhookDelivery.objects.select_related("subscription").filter(uuid=uuid).first()
        if row is None:
            raise Http404
        services.delivery_replay(actor=request.user, delivery=row)
        messages.success(request, _("The delivery will be sent again."))
        return HttpResponseRedirect(reverse("integrations:webhook",
                                            args=[row.subscription.uuid]))


class KeyListView(RoleRequiredMixin, View):
    permission = MANAGE

    def page(self, form: KeyForm, status: int = 200, **extra: Any) -> HttpResponse:
        return render(self.request, "integrations/key_list.html",
                      {"form": form, "rows": list(selectors.keys()), **extra}, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.page(KeyForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = KeyForm(request.POST)
        if not form.is_valid():
            return self.page(form, 400)
        try:
            key, clear = services.integration_key_create(actor=request.user,
                                                         data=form.data_for_service())
        except ValidationError as exc:
            form.show_service_errors(exc)
            return self.page(form, 400)
        return self.page(KeyForm(), new_key=clear, new_row=key)


class KeyRevokeView(RoleRequiredMixin, View):
    model = IntegrationKey
    permission = MANAGE

    def post(self, request: HttpRequest, uuid: UUID) -> HttpResponse:
        key = IntegrationKey.objects.filter(uuid=uuid).first()
        if key is None:
            raise Http404
        services.integration_key_revoke(actor=request.user, key=key)
        messages.success(request, _("Key revoked."))
        return HttpResponseRedirect(reverse("integrations:key_list"))
