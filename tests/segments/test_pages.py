"""The segment pages: the builder's live count and sample, errors under the condition at
fault, the detail with members, movements and value, static lists, export and delete."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.segments.factories import make_segment, world
from vinculo.segments.models import Segment, SegmentMember

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(admin):
    return world(admin)


def rows(*conditions, match="all", **extra):
    data = {"name": "Valiosos", "subject": "contacts", "kind": "rule", "match": match,
            "rows": str(len(conditions)), "mode": "rows", **extra}
    for i, (field, op, value, *days) in enumerate(conditions):
        data.update({f"c-{i}-field": field, f"c-{i}-op": op, f"c-{i}-value": value})
        if days:
            data[f"c-{i}-days"] = days[0]
    return data


def test_the_builder_counts_and_samples_while_the_rule_is_edited(page, w):
    url = reverse("segments:segment_create")
    assert page.get(url).status_code == 200
    live = page.post(url, rows(("analytics.clv", "gte", "1000"), ("consent.email", "eq", "true")),
                     HTTP_HX_REQUEST="true")
    assert live.status_code == 200
    body = live.content.decode()
    assert "Ana Alba" in body and "Ben Bravo" not in body
    assert not Segment.all_objects.exists()  # editing saves nothing
    # "Add condition" adds an empty row; a field's operators follow its type
    added = page.post(url, {**rows(("analytics.clv", "gte", "1000")), "add": "1"},
                      HTTP_HX_REQUEST="true").content.decode()
    assert 'name="c-1-field"' in added
    assert '<option value="before_last_days"' not in added.split('name="c-0-op"')[1].split(
        "</select>")[0]


def test_a_bad_value_is_shown_under_its_condition_and_nothing_is_saved(page, w):
    answer = page.post(reverse("segments:segment_create"),
                       rows(("analytics.clv", "gte", "1000"), ("analytics.p_alive", "lt", "x"),
                            save="1"))
    assert answer.status_code == 400
    body = answer.content.decode()
    second_row = body.split('id="c-1-field"')[1].split("</fieldset>")[0]
    assert "Enter a number." in second_row
    assert not Segment.all_objects.exists()


def test_save_refreshes_and_the_detail_shows_members_movements_and_value(page, w):
    answer = page.post(reverse("segments:segment_create"),
                       rows(("analytics.clv", "gte", "1000"), save="1"))
    assert answer.status_code == 302, answer.content.decode()[:2000]
    segment = Segment.all_objects.get()
    assert segment.member_count == 1
    detail = page.get(answer.url).content.decode()
    assert "Ana Alba" in detail
    assert "5.000,00" in detail or "5,000.00" in detail  # total CLV
    entered = detail.split('id="entered"')[1].split("</ul>")[0]
    assert "Ana Alba" in entered
    # the contacts list filtered by the segment
    listed = page.get(reverse("customers:contact_list") + f"?segment={segment.uuid}")
    assert "Ana Alba" in listed.content.decode() and "Ben Bravo" not in listed.content.decode()


def test_export_csv_and_xlsx_use_the_customers_columns(page, admin, w):
    segment = make_segment(admin, name="Todos", rule={"conditions": [
        {"field": "contact.email", "op": "contains", "value": "@"}]})
    page.post(reverse("segments:segment_refresh", args=[segment.uuid]))
    url = reverse("segments:segment_export", args=[segment.uuid])
    csv_text = b"".join(page.get(url + "?format=csv").streaming_content).decode("utf-8-sig")
    lines = csv_text.strip().splitlines()
    assert len(lines) == 5 and "ana@acme.example" in csv_text
    workbook = load_workbook(io.BytesIO(b"".join(page.get(url + "?format=xlsx")
                                                 .streaming_content)))
    assert workbook.active.max_row == 5
    assert page.get(url + "?format=pdf").status_code == 400


def test_static_list_by_hand_and_from_a_csv(page, admin, w):
    segment = make_segment(admin, name="Feria", kind="static")
    members_url = reverse("segments:segment_members", args=[segment.uuid])
    picker = page.get(reverse("segments:member_picker", args=[segment.uuid]),
                      {"member_search": "Bravo"}).content.decode()
    assert f'data-pick-value="{w.ben.uuid}"' in picker
    page.post(members_url, {"add": str(w.ben.uuid)})
    csv_file = io.BytesIO(b"email\nana@acme.example\nnadie@example.org\nCid Campos\n")
    csv_file.name = "feria.csv"
    result = page.post(reverse("segments:segment_import", args=[segment.uuid]),
                       {"file": csv_file})
    body = result.content.decode()
    assert result.status_code == 200 and "nadie@example.org" in body
    assert ">3<" in body  # the line number of the bad line
    segment.refresh_from_db()
    assert segment.member_count == 3
    page.post(members_url, {"remove": str(w.ben.uuid)})
    segment.refresh_from_db()
    assert segment.member_count == 2
    stay = SegmentMember.all_objects.get(segment=segment, contact=w.ben)
    assert stay.left_at is not None and stay.source == "manual"


def test_list_and_delete(page, admin, w):
    segment = make_segment(admin, name="Borrar")
    listed = page.get(reverse("segments:segment_list")).content.decode()
    assert "Borrar" in listed
    page.post(reverse("segments:segment_delete", args=[segment.uuid]))
    assert not Segment.all_objects.filter(pk=segment.pk).exists()


def test_a_segment_another_rule_names_is_not_deleted(page, admin, w):
    base = make_segment(admin, name="Base", subject="accounts")
    make_segment(admin, name="Derivado", rule={"conditions": [
        {"field": "segment", "op": "in", "value": [str(base.uuid)]}]})
    answer = page.post(reverse("segments:segment_delete", args=[base.uuid]), follow=True)
    assert "Derivado" in answer.content.decode()
    assert Segment.all_objects.filter(pk=base.pk).exists()


def test_the_builder_speaks_spanish(page, admin, w):
    admin.language = "es"
    admin.save(update_fields=["language"])
    answer = page.post(reverse("segments:segment_create"),
                       rows(("analytics.clv", "gte", "mucho"), save="1"),
                       HTTP_ACCEPT_LANGUAGE="es")
    body = answer.content.decode()
    assert "Añadir condición" in body and "es como mínimo" in body
    assert "Introduce un número" in body or "Indique un número" in body or "número" in body


def test_a_new_builder_counts_everyone_until_a_field_is_chosen(page, w):
    """The empty first row is no error: the page opens with the count of every customer."""
    body = page.get(reverse("segments:segment_create")).content.decode()
    preview = body.split('id="builder-preview"')[1].split("</aside>")[0]
    assert "Unknown field" not in body
    assert '<p class="display-6 mb-1">4</p>' in preview  # Ana, Ben, Cid and Lola


def test_a_list_of_choices_names_what_is_chosen_even_when_scrolled_out_of_view(page, w):
    url = reverse("segments:segment_create")
    data = {**rows(("analytics.rfm_segment", "in", "At risk")), "subject": "accounts"}
    data["c-0-value"] = ["At risk", "Can't lose"]
    body = page.post(url, data, HTTP_HX_REQUEST="true").content.decode()
    chosen = body.split('id="c-0-chosen"')[1].split("</div>")[0]
    assert "Chosen:" in chosen and ">At risk<" in chosen and ">Can&#x27;t lose<" in chosen
    assert ">Champions<" not in chosen
    empty = page.post(url, {**data, "c-0-value": []}, HTTP_HX_REQUEST="true").content.decode()
    assert "none yet" in empty.split('id="c-0-chosen"')[1].split("</div>")[0]
