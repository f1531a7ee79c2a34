"""How a started campaign reaches its recipients, per channel, and which consent it needs.

``campaign_start`` builds the recipients (control group held out, consent and suppressions
checked) and hands the campaign to its channel's ``deliver(campaign)``: e-mail sends in
batches in the background, a letter campaign prints one page per member, phone and visit
campaigns create call and visit tasks, a web-form campaign publishes its form.
"""

from __future__ import annotations

#: campaign channel -> dotted path of ``deliver(campaign) -> None``.
DELIVERY = {
    "email": "vinculo.marketing.sending.deliver",
    "letter": "vinculo.marketing.letters.deliver",
    "phone": "vinculo.marketing.calls.deliver",
    "visit": "vinculo.marketing.calls.deliver",
    "web_form": "vinculo.marketing.webforms.deliver",
}

#: campaign channel -> the contact's consent channel (customers.Channel) it needs; None: the
#: channel needs no prior consent (a visit by the account's own representative).
CONSENT = {
    "email": "email",
    "letter": "post",
    "phone": "phone",
    "visit": None,
    "web_form": None,
}
