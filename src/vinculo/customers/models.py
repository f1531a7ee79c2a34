"""Accounts (companies, or people who buy as themselves), contacts, leads and consent."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vinculo.core.files import UnguessableName
from vinculo.core.limits import TEXT_MAX_LENGTH
from vinculo.core.links import TenantLink, TenantManyToManyField
from vinculo.core.models import Tag, Team, TenantModel


class LifecycleStage(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")
    LEAD = "lead", _("Lead")
    OPPORTUNITY = "opportunity", _("Opportunity")
    CUSTOMER = "customer", _("Customer")
    FORMER = "former", _("Former customer")


class SourceChannel(models.TextChoices):
    WEB = "web", _("Website")
    REFERRAL = "referral", _("Referral")
    EVENT = "event", _("Event")
    CAMPAIGN = "campaign", _("Campaign")
    COLD_CALL = "cold_call", _("Cold call")
    PARTNER = "partner", _("Partner")
    SOCIAL = "social", _("Social media")
    IMPORT = "import", _("Import")
    OTHER = "other", _("Other")


class CompanySize(models.TextChoices):
    MICRO = "1-9", _("1–9 employees")
    SMALL = "10-49", _("10–49 employees")
    MEDIUM = "50-249", _("50–249 employees")
    LARGE = "250+", _("250 or more employees")


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone")
    SMS = "sms", _("SMS")
    POST = "post", _("Post")


class ServiceTier(models.TextChoices):
    """The service level a customer is entitled to: SLA targets and ticket routing use it."""

    PLATINUM = "platinum", _("Platinum")
    GOLD = "gold", _("Gold")
    SILVER = "silver", _("Silver")
    STANDARD = "standard", _("Standard")


class OwnedModel(TenantModel):
    """A customer record with an owner, a team, tags, custom fields and a search column."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    # Lower-cased, accent-free name + e-mail + phone: one indexed column for the search box.
    search_text = models.CharField(max_length=400, blank=True, editable=False)

    owner_field = "owner"
    team_field = "team"

    class Meta:
        abstract = True


class Industry(TenantModel):
    """One of the industries the organisation sorts its accounts by, as it names them. The
    account keeps the words (``Account.industry`` is text, so values typed before the list
    existed keep working); the list is what the account form and the list filter offer."""

    name = models.CharField(_("name"), max_length=100)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True,
                                 help_text=_("Inactive industries are no longer offered."))

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("industry")
        verbose_name_plural = _("industries")
        constraints = [models.UniqueConstraint(fields=["organization", "name"],
                                               name="industry_unique_name")]

    def __str__(self) -> str:
        return self.name


class Account(OwnedModel):
    """A customer organisation, or a person who buys as themselves (``is_person``)."""

    name = models.CharField(_("name"), max_length=200)
    is_person = models.BooleanField(_("private person"), default=False)
    # A company the organisation buys from (catalogue supplier links, supplier portal); it may
    # also be a customer, hence a flag and not a type.
    is_supplier = models.BooleanField(
        _("supplier"), default=False, db_default=False,
        help_text=_("The organisation buys from this account: it can supply catalogue products "
                    "and its contacts can use the supplier portal."))
    tax_id = models.CharField(_("tax id"), max_length=40, blank=True)
    country = models.CharField(
        _("country"), max_length=2, blank=True,
        help_text=_("Where the company is registered: its tax id is checked by this country's "
                    "rules. The organisation's country when left empty."))
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    size = models.CharField(_("size"), max_length=10, choices=CompanySize.choices, blank=True)
    website = models.URLField(_("website"), blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    billing_street = models.CharField(_("billing street"), max_length=200, blank=True)
    billing_city = models.CharField(_("billing city"), max_length=100, blank=True)
    billing_postal_code = models.CharField(_("billing postal code"), max_length=20, blank=True)
    billing_region = models.CharField(_("billing region"), max_length=100, blank=True)
    billing_country = models.CharField(_("billing country"), max_length=2, blank=True)
    shipping_street = models.CharField(_("shipping street"), max_length=200, blank=True)
    shipping_city = models.CharField(_("shipping city"), max_length=100, blank=True)
    shipping_postal_code = models.CharField(_("shipping postal code"), max_length=20, blank=True)
    shipping_region = models.CharField(_("shipping region"), max_length=100, blank=True)
    shipping_country = models.CharField(_("shipping country"), max_length=2, blank=True)
    lifecycle_stage = models.CharField(
        _("lifecycle stage"),
        max_length=20,
        choices=LifecycleStage.choices,
        default=LifecycleStage.PROSPECT,
    )
    source = models.CharField(
        _("source channel"), max_length=20, choices=SourceChannel.choices, blank=True
    )
    service_tier = models.CharField(
        _("service tier"), max_length=10, choices=ServiceTier.choices,
        default=ServiceTier.STANDARD, db_default=ServiceTier.STANDARD,
        help_text=_("Sets the SLA targets and routing of this customer's tickets."),
    )
    tags = TenantManyToManyField(Tag, through="AccountTag", verbose_name=_("tags"),
                                 blank=True, related_name="+")
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    # Deactivated instead of deleted while documents point to it: out of the default lists
    # and the pickers, its history kept.
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        indexes = [
            models.Index(fields=["organization", "name", "id"], name="account_org_name"),
            models.Index(fields=["organization", "search_text"], name="account_org_search"),
            models.Index(fields=["organization", "tax_id"], name="account_org_taxid"),
            models.Index(fields=["organization", "owner"], name="account_org_owner"),
            models.Index(fields=["organization", "phone"], name="account_org_phone"),
            models.Index(fields=["organization", "email"], name="account_org_email"),
            models.Index(fields=["organization", "-created_at", "-id"], name="account_org_created"),
        ]

    def __str__(self) -> str:
        return self.name


class Contact(OwnedModel):
    """A person: at one or more accounts, or a private customer."""

    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    full_name = models.CharField(_("name"), max_length=201, editable=False)
    email = models.EmailField(_("e-mail"), blank=True)
    other_emails = models.JSONField(_("other e-mails"), default=list, blank=True)
    phone = models.CharField(
        _("phone"), max_length=20, blank=True, help_text=_("Stored in international E.164 form.")
    )
    mobile = models.CharField(_("mobile"), max_length=20, blank=True)
    title = models.CharField(_("job title"), max_length=100, blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=5, blank=True, choices=settings.LANGUAGES
    )
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=10, blank=True, choices=Channel.choices
    )
    lifecycle_stage = models.CharField(
        _("lifecycle stage"),
        max_length=20,
        choices=LifecycleStage.choices,
        default=LifecycleStage.PROSPECT,
    )
    source = models.CharField(
        _("source channel"), max_length=20, choices=SourceChannel.choices, blank=True
    )
    accounts = models.ManyToManyField(
        Account,
        through="AccountContact",
        related_name="contacts",
        verbose_name=_("accounts"),
        blank=True,
    )
    tags = TenantManyToManyField(Tag, through="ContactTag", verbose_name=_("tags"),
                                 blank=True, related_name="+")
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    # Deactivated instead of deleted while documents point to it: out of the default lists
    # and the pickers, its history kept.
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["full_name", "id"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [
            models.Index(fields=["organization", "full_name", "id"], name="contact_org_name"),
            models.Index(fields=["organization", "search_text"], name="contact_org_search"),
            models.Index(fields=["organization", "email"], name="contact_org_email"),
            models.Index(fields=["organization", "phone"], name="contact_org_phone"),
            models.Index(fields=["organization", "owner"], name="contact_org_owner"),
            models.Index(fields=["organization", "mobile"], name="contact_org_mobile"),
            models.Index(fields=["organization", "-created_at", "-id"], name="contact_org_created"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email or str(self.uuid)


class AccountContact(TenantModel):
    """A contact's place at an account: the role they play there."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="memberships")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role at the account"), max_length=100, blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)

    class Meta:
        ordering = ["account__name"]
        constraints = [
            models.UniqueConstraint(fields=["account", "contact"], name="accountcontact_unique")
        ]
        # the other way round: a contact's accounts from the index alone (segments carry an
        # account condition to the contacts, and a contact condition to the accounts, both ways)
        indexes = [models.Index(fields=["contact", "account"], name="accountcontact_by_contact")]
        verbose_name = _("account membership")

    def __str__(self) -> str:
        return f"{self.contact} @ {self.account}"


class Consent(TenantModel):
    """Whether a contact agreed to be reached on a channel, when, and where that came from."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="consents")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    granted = models.BooleanField(_("granted"))
    recorded_at = models.DateTimeField(_("date"), default=timezone.now)
    source = models.CharField(_("source"), max_length=100, blank=True)

    class Meta:
        ordering = ["channel"]
        constraints = [
            models.UniqueConstraint(fields=["contact", "channel"], name="consent_unique_channel")
        ]
        # who may be reached on a channel, from the index alone: every marketing segment and
        # campaign asks it of the whole customer base
        indexes = [models.Index(fields=["organization", "channel", "contact"],
                                condition=models.Q(granted=True), name="consent_granted")]
        verbose_name = _("consent")

    def __str__(self) -> str:
        return f"{self.contact}: {self.channel}={'yes' if self.granted else 'no'}"


class LeadStatus(models.TextChoices):
    NEW = "new", _("New")
    CONTACTED = "contacted", _("Contacted")
    QUALIFIED = "qualified", _("Qualified")
    DISQUALIFIED = "disqualified", _("Disqualified")
    CONVERTED = "converted", _("Converted")


class Lead(OwnedModel):
    """A prospect as they came in, not yet qualified: person and company data as given."""

    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    full_name = models.CharField(_("name"), max_length=201, editable=False)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    title = models.CharField(_("job title"), max_length=100, blank=True)
    company_name = models.CharField(_("company"), max_length=200, blank=True)
    tax_id = models.CharField(_("tax id"), max_length=40, blank=True)
    country = models.CharField(
        _("country"), max_length=2, blank=True,
        help_text=_("Where the company is registered: its tax id is checked by this country's "
                    "rules. The organisation's country when left empty."))
    website = models.URLField(_("website"), blank=True)
    source = models.CharField(
        _("source channel"), max_length=20, choices=SourceChannel.choices, blank=True
    )
    status = models.CharField(
        _("status"), max_length=20, choices=LeadStatus.choices, default=LeadStatus.NEW
    )
    score = models.SmallIntegerField(_("score"), default=0)
    notes = models.TextField(_("notes"), blank=True, max_length=TEXT_MAX_LENGTH)
    tags = TenantManyToManyField(Tag, through="LeadTag", verbose_name=_("tags"),
                                 blank=True, related_name="+")
    converted_account = models.ForeignKey(
        Account,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="converted_leads",
        editable=False,
    )
    converted_contact = models.ForeignKey(
        Contact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="converted_leads",
        editable=False,
    )
    converted_at = models.DateTimeField(null=True, blank=True, editable=False)
    # What brought the lead in, when a higher app knows it (a marketing campaign, by its
    # attribution): a generic reference, so customers imports nothing of that app. The
    # conversion funnel groups by it (``sales.selectors.conversion_funnel(by="origin")``).
    origin_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+", editable=False)
    origin_id = models.BigIntegerField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        indexes = [
            models.Index(fields=["organization", "-created_at", "-id"], name="lead_org_created"),
            # campaign attribution finds a contact's leads by e-mail (marketing.results)
            models.Index(fields=["organization", "email"], name="lead_org_email"),
            models.Index(fields=["organization", "search_text"], name="lead_org_search"),
            models.Index(fields=["organization", "status"], name="lead_org_status"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.company_name or self.email or str(self.uuid)


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class DuplicateMode(models.TextChoices):
    SKIP = "skip", _("Skip the row")
    UPDATE = "update", _("Update the existing record")
    CREATE = "create", _("Create a new record anyway")


class ImportJob(TenantModel):
    """An import of accounts, contacts or leads from a CSV or XLSX file, with its outcome."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    target = models.CharField(
        _("import into"),
        max_length=10,
        choices=[("account", _("Accounts")), ("contact", _("Contacts")), ("lead", _("Leads"))],
    )
    # an unguessable name: the uploaded one is ``original_name`` (core/files.py)
    file = models.FileField(_("file"), upload_to=UnguessableName("imports"), max_length=200)
    original_name = models.CharField(max_length=255, blank=True)
    encoding = models.CharField(max_length=20, blank=True)
    delimiter = models.CharField(max_length=1, blank=True)
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    duplicate_mode = models.CharField(
        _("when a row matches an existing record"),
        max_length=10,
        choices=DuplicateMode.choices,
        default=DuplicateMode.SKIP,
    )
    all_or_nothing = models.BooleanField(_("import nothing if any row is bad"), default=False)
    dry_run = models.BooleanField(_("preview only"), default=True)
    status = models.CharField(
        max_length=10, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    # Rows that duplicate an earlier line or an existing record, each naming which.
    duplicates = models.JSONField(default=list, blank=True)
    # Accounts the company column of a contact import creates (or, in a preview, would create).
    new_accounts = models.JSONField(default=list, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    audited = False

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import")

    def __str__(self) -> str:
        return f"{self.get_target_display()} — {self.original_name}"

    @property
    def progress(self) -> int:
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0



# The through models of the tags: Django's automatic tables (same names and columns) plus the
# organisation, so a sharded database can place every row (core.links).
class AccountTag(TenantLink):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="+")

    class Meta:
        db_table = "customers_account_tags"
        unique_together = [("account", "tag")]


class ContactTag(TenantLink):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="+")

    class Meta:
        db_table = "customers_contact_tags"
        unique_together = [("contact", "tag")]


class LeadTag(TenantLink):
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="+")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="+")

    class Meta:
        db_table = "customers_lead_tags"
        unique_together = [("lead", "tag")]


class ErasureStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", _("Approved")
    ANONYMISED = "anonymised", _("Anonymised")
    REFUSED = "refused", _("Refused")


class ErasureRequest(TenantModel):
    """A contact's request to be forgotten (GDPR art. 17). Kept after the contact is
    anonymised: it is the proof that the request was honoured, and by whom."""

    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=ErasureStatus.choices,
                              default=ErasureStatus.REQUESTED)
    source = models.CharField(_("source"), max_length=100, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+", editable=False)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True, editable=False)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True,
                                         editable=False)

    owner_field = "contact__owner"  # the rule of the record it belongs to
    team_field = "contact__team"

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("erasure request")
        verbose_name_plural = _("erasure requests")

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} ({self.get_status_display()})"
