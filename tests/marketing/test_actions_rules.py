"""The rules of the next-best action and the reason they give, without a database."""

from __future__ import annotations

import datetime as dt

from django.utils import translation

from vinculo.marketing.actions import rules

TODAY = dt.date(2026, 12, 6)


def facts(**changes):
    base = {"tier": "Gold", "clv": "3844.00", "currency": "EUR", "p_alive": 0.9,
            "p_alive_before": 0.92, "frequency": 10, "recency_days": 60, "T": 400,
            "last_order": (TODAY - dt.timedelta(days=81)).isoformat(), "complaint_since": None,
            "as_of": TODAY.isoformat(), "today": TODAY.isoformat()}
    return {**base, **changes}


def test_usual_interval_is_the_mean_time_between_purchases():
    assert rules.usual_interval(facts()) == 34  # (400 − 60) / 10
    assert rules.usual_interval(facts(frequency=0)) is None


def test_overdue_fires_past_one_and_a_half_intervals_for_key_customers():
    assert rules.evaluate(facts()) == [("overdue", "call")]
    assert rules.evaluate(facts(tier="Platinum")) == [("overdue", "visit")]
    on_time = (TODAY - dt.timedelta(days=50)).isoformat()  # 50 ≤ 1.5 × 34
    assert rules.evaluate(facts(last_order=on_time)) == []
    assert rules.evaluate(facts(tier="Iron")) == []  # not a key customer
    assert rules.evaluate(facts(frequency=1, recency_days=200)) == []  # no pattern yet


def test_falling_p_alive_and_open_complaints():
    recent = TODAY.isoformat()
    falling = facts(tier="Iron", p_alive=0.41, p_alive_before=0.82, last_order=recent)
    assert rules.evaluate(falling) == [("p_alive_falling", "call")]
    assert rules.evaluate({**falling, "p_alive_before": 0.5}) == []  # fell 9 points only
    assert rules.evaluate({**falling, "tier": "Lead"}) == []  # loss-making
    assert rules.evaluate({**falling, "p_alive_before": None}) == []  # one snapshot
    complaint = facts(last_order=recent, complaint_since="2026-11-24")
    assert rules.evaluate(complaint) == [("complaint_open", "call")]
    assert rules.evaluate({**complaint, "tier": "Iron"}) == []


def test_the_reason_in_words_in_each_language():
    with translation.override("en"):
        assert rules.reason("overdue", "call", facts(), today=TODAY) == (
            "usually buys every 34 days, last order 81 days ago, CLV €3,844.00: call")
    with translation.override("es"):
        assert rules.reason("overdue", "call", facts(), today=TODAY) == (
            "suele comprar cada 34 días, último pedido hace 81 días, CLV 3.844,00\xa0€: llamar")
        assert rules.reason("p_alive_falling", "visit", facts(p_alive=0.41, p_alive_before=0.82),
                            today=TODAY) == (
            "P(alive) bajó del 82 % al 41 %, CLV 3.844,00\xa0€: visitar")
        assert rules.reason("complaint_open", "call", facts(complaint_since="2026-11-24"),
                            today=TODAY) == (
            "reclamación abierta hace 12 días, CLV 3.844,00\xa0€: llamar")
