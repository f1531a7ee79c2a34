"""Files and comments on a record page, on a phone (390 px) in a real Chromium: the panels load
on the account's page, a file is uploaded and downloaded, a comment that @mentions a colleague
shows at once, and nothing makes the page scroll sideways."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.attachments.factories import attach
from tests.browser.test_pipeline_board import log_in
from tests.customers.factories import AccountFactory
from vinculo.attachments.models import Comment
from vinculo.core.roles import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def test_files_and_comments_on_an_account_page_on_a_phone(browser, live_server, users, tmp_path,
                                                          settings):
    settings.MEDIA_ROOT = tmp_path / "uploads"
    admin, manager = users[Role.ADMIN], users[Role.SALES_MANAGER]
    account = AccountFactory(actor=admin, name="Textil Sol SL")
    attach(admin, account, "un-nombre-de-archivo-muy-largo-sin-espacios-que-no-cabe-en-un-"
                           "telefono-de-ninguna-manera-2026.pdf")
    context = browser.new_context(base_url=live_server.url, locale="en-GB", viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, admin)
    page.goto(f"/customers/accounts/{account.uuid}/")
    files = page.locator("#record-files")
    expect(files).to_contain_text("muy-largo")

    upload = tmp_path / "pedido firmado.pdf"
    upload.write_bytes(b"%PDF-1.4 firmado")
    page.set_input_files("#record-file-input", str(upload))
    files.get_by_role("button", name="Upload").click()
    expect(files).to_contain_text("pedido firmado.pdf")
    with page.expect_download() as download:
        files.get_by_role("link", name="pedido firmado.pdf").click()
    assert Path(download.value.path()).read_bytes() == b"%PDF-1.4 firmado"
    assert download.value.suggested_filename == "pedido firmado.pdf"

    comments = page.locator("#record-comments")
    comments.get_by_label("Comment").fill(f"@{manager.get_full_name()} revisa el pedido")
    comments.get_by_role("button", name="Comment").click()
    expect(comments).to_contain_text("revisa el pedido")
    expect(comments).to_contain_text(f"Mentioned: {manager.get_full_name()}")
    assert list(Comment.all_objects.get().mentions.all()) == [manager]

    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    context.close()
