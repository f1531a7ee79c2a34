"""parse_message on hand-made raw messages: what real mail gets wrong, kept or refused."""

from __future__ import annotations

import base64
import email
import os
import re
from dataclasses import fields
from datetime import UTC, datetime, timedelta, timezone
from email import policy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vinculo.interactions.mail.headers import make_message_id, reply_headers
from vinculo.interactions.mail.message import MAX_REFERENCES, MB, MessageRejected, ParsedMessage
from vinculo.interactions.mail.parse import parse_message

RECEIVED = datetime(2026, 3, 14, 9, 26, 53, tzinfo=UTC)


def crlf(text: str) -> bytes:
    return text.lstrip("\n").replace("\n", "\r\n").encode("utf-8")


PLAIN = crlf("""
Return-Path: <ana@cliente.example>
From: =?utf-8?Q?Ana_P=C3=A9rez?= <Ana.Perez@Cliente.EXAMPLE>
To: Soporte <Soporte@vinculo.example>, otro@vinculo.example
Cc: "Luis" <LUIS@cliente.example>, luis@cliente.example
Reply-To: Pedidos <pedidos@cliente.example>
Subject: Pedido 1234
Date: Fri, 13 Mar 2026 18:05:00 -0600
Message-ID: <CAF=123@mail.cliente.example>
In-Reply-To: <t2@vinculo.example> (Soporte's message of Thursday)
References: <t1@vinculo.example>
 <t2@vinculo.example>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Hola, ¿cómo va el pedido?
""")

NESTED = crlf("""
From: ana@cliente.example
To: soporte@vinculo.example
Subject: Fotos
Message-ID: <nested@cliente.example>
Date: Fri, 13 Mar 2026 10:00:00 +0100
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: multipart/alternative; boundary="alt"

--alt
Content-Type: text/plain; charset=utf-8

Hola, van las fotos.
--alt
Content-Type: multipart/related; boundary="rel"

--rel
Content-Type: text/html; charset=utf-8

<html><head><title>Secret title</title><style>p {color: red}</style></head>
<body><p onclick="steal()" style="color: red; position: fixed">Hola, van las <b>fotos</b>.</p>
<img src="cid:logo@cliente.example"><a href="javascript:alert(1)">x</a>
<script>alert('xss')</script><iframe src="https://evil.example"></iframe></body></html>
--rel
Content-Type: image/png
Content-ID: <logo@cliente.example>
Content-Disposition: inline
Content-Transfer-Encoding: base64

iVBORw0KGgo=
--rel--
--alt--
--outer
Content-Type: image/jpeg; name="foto.jpg"
Content-Disposition: attachment; filename="foto.jpg"
Content-Transfer-Encoding: base64

/9j/4AAQ
--outer--
""")


def parse(raw: bytes, **options) -> ParsedMessage:
    return parse_message(raw, received_at=RECEIVED, **options)


def assert_storable(message: ParsedMessage) -> None:
    """Every string can go into PostgreSQL as it is: valid Unicode, no NUL."""
    for f in fields(message):
        values = getattr(message, f.name)
        values = values if isinstance(values, list) else [values]
        for value in values:
            if isinstance(value, str):
                assert "\x00" not in value, f.name
                value.encode("utf-8")  # raises on lone surrogates
    for attachment in message.attachments:
        attachment.filename.encode("utf-8")
        assert "/" not in attachment.filename and "\x00" not in attachment.filename
    assert message.date.tzinfo is not None


# --- a well-formed message -----------------------------------------------------------------


def test_a_well_formed_message_gives_every_field_normalised():
    message = parse(PLAIN)
    assert message.message_id == "<CAF=123@mail.cliente.example>"
    assert message.generated_id is False
    assert message.in_reply_to == "<t2@vinculo.example>"
    assert message.references == ["<t1@vinculo.example>", "<t2@vinculo.example>"]
    assert (message.from_address, message.from_name) == ("ana.perez@cliente.example", "Ana Pérez")
    assert message.reply_to == "pedidos@cliente.example"
    assert message.to == ["soporte@vinculo.example", "otro@vinculo.example"]
    assert message.cc == ["luis@cliente.example"]  # the same address twice is listed once
    assert message.subject == "Pedido 1234"
    assert message.date == datetime(2026, 3, 14, 0, 5, tzinfo=UTC)
    assert message.date.utcoffset() == timedelta(hours=-6)
    assert message.text == "Hola, ¿cómo va el pedido?"
    assert message.html == ""
    assert message.attachments == []
    assert message.auto_submitted is False
    assert message.defects == []
    assert message.size == len(PLAIN)


# --- charsets and encodings ----------------------------------------------------------------


def test_an_unknown_body_charset_is_decoded_with_a_fallback_and_noted():
    raw = PLAIN.replace(b"charset=utf-8", b"charset=x-foo").replace(
        "¿cómo".encode(), "¿cómo".encode("latin-1")
    )
    message = parse(raw)
    assert message.text == "Hola, ¿cómo va el pedido?"
    assert "unknown charset x-foo in the text body decoded as windows-1252" in message.defects


def test_a_body_that_is_not_in_its_declared_charset_is_decoded_with_a_fallback():
    # declared UTF-8, written in Windows-1252 (curly quotes and the euro sign)
    raw = PLAIN.replace("¿cómo va el pedido?".encode(), "“Total” 5 €".encode("windows-1252"))
    message = parse(raw)
    assert message.text == "Hola, “Total” 5 €"
    assert "the text body is not valid utf-8; decoded as windows-1252" in message.defects


def test_an_8bit_body_without_a_charset_is_read_as_utf8_and_noted():
    raw = PLAIN.replace(b"; charset=utf-8", b"")
    message = parse(raw)
    assert message.text == "Hola, ¿cómo va el pedido?"
    assert "the text body has 8-bit text without a charset; decoded as utf-8" in message.defects


def test_a_base64_body_in_a_legacy_charset_is_decoded():
    body = base64.b64encode("Привет".encode("koi8-r")).decode()
    raw = crlf(f"""
From: ivan@example.ru
Subject: test
Content-Type: text/plain; charset="KOI8-R"
Content-Transfer-Encoding: base64

{body}
""")
    message = parse(raw)
    assert message.text.strip() == "Привет"
    assert not [d for d in message.defects if "charset" in d]


def test_raw_8bit_headers_are_decoded_as_utf8_or_windows_1252_and_noted():
    raw = PLAIN.replace(b"Subject: Pedido 1234", "Subject: Año ñandú".encode()).replace(
        b"=?utf-8?Q?Ana_P=C3=A9rez?=", '"Ana Pérez"'.encode("latin-1")
    )
    message = parse(raw)
    assert message.subject == "Año ñandú"
    assert message.from_name == "Ana Pérez"
    assert message.from_address == "ana.perez@cliente.example"
    assert "raw 8-bit bytes in the Subject header decoded as utf-8" in message.defects
    assert "raw 8-bit bytes in the From header decoded as windows-1252" in message.defects
    assert_storable(message)


@pytest.mark.parametrize(
    ("header", "subject", "defect"),
    [
        # two words in one charset join without the space between them (RFC 2047 §6.2), even
        # when a character is split across them
        ("=?UTF-8?B?w7FhbmTDug==?= =?UTF-8?Q?_y_m=C3?= =?UTF-8?Q?=A1s?=", "ñandú y más", None),
        ("Re: =?iso-8859-1?q?Factura_n=BA_7?= pagada", "Re: Factura nº 7 pagada", None),
        ("=?x-foo?Q?caf=E9?=", "café", "unknown charset x-foo in the Subject header"),
        ("=?utf-8?B?Y2Fmw6k?=", "café", None),  # base64 without its padding
        ("Hola =?utf-8?Q?sin_cierre", "Hola =?utf-8?Q?sin_cierre", "broken encoded word"),
        # a UTF-8 sequence cut short: the bytes are decoded by the fallback, not lost
        ("=?utf-8?B?ww==?= tail", "Ã tail", "the Subject header is not valid utf-8"),
    ],
)
def test_encoded_words_are_decoded_and_broken_ones_kept(header, subject, defect):
    raw = PLAIN.replace(b"Subject: Pedido 1234", f"Subject: {header}".encode())
    message = parse(raw)
    assert message.subject == subject
    if defect:
        assert any(defect in d for d in message.defects), message.defects
    else:
        assert not [d for d in message.defects if "Subject" in d], message.defects


def test_an_encoded_display_name_in_an_unknown_charset_is_decoded():
    raw = PLAIN.replace(b"=?utf-8?Q?Ana_P=C3=A9rez?=", b"=?x-foo?Q?Jos=E9?=")
    message = parse(raw)
    assert message.from_name == "José"
    assert message.from_address == "ana.perez@cliente.example"
    assert any("x-foo" in d for d in message.defects)


# --- missing and garbled headers -----------------------------------------------------------


def test_a_missing_message_id_is_generated_from_the_content():
    raw = re.sub(rb"Message-ID: [^\r]*\r\n", b"", PLAIN)
    first, again = parse(raw), parse(raw)
    other = parse(raw.replace(b"Pedido 1234", b"Pedido 1235"))
    assert first.generated_id is True
    assert re.fullmatch(r"<[0-9a-f]{40}@generated\.vinculo\.invalid>", first.message_id)
    assert again.message_id == first.message_id  # read twice, de-duplicated by its id
    assert other.message_id != first.message_id
    assert "Message-ID header missing; an id was generated" in first.defects


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("<>", None),
        ("not an id at all", None),
        ("bare@host.example", "<bare@host.example>"),
        ("<folded@\r\n host.example>", "<folded@host.example>"),
        ("  <a@b>  (comment)", "<a@b>"),
        ("<año@correo.example>", "<año@correo.example>"),  # UTF-8 ids (RFC 6532)
    ],
)
def test_message_ids_are_normalised_or_replaced_when_garbled(value, expected):
    raw = PLAIN.replace(b"<CAF=123@mail.cliente.example>", value.encode())
    message = parse(raw)
    if expected:
        assert (message.message_id, message.generated_id) == (expected, False)
    else:
        assert message.generated_id is True
        assert any("unusable; an id was generated" in d for d in message.defects)


def test_references_without_brackets_or_repeating_the_message_itself_are_cleaned():
    old = b"References: <t1@vinculo.example>\r\n <t2@vinculo.example>"
    bare = PLAIN.replace(old, b"References: t1@vinculo.example, t2@vinculo.example")
    assert parse(bare).references == ["<t1@vinculo.example>", "<t2@vinculo.example>"]
    # once some ids are bracketed, the words between them are not ids
    mixed = PLAIN.replace(old, b"References: t1@vinculo.example <t2@vinculo.example> x@y")
    assert parse(mixed).references == ["<t2@vinculo.example>"]
    itself = b"<t1@vinculo.example> <CAF=123@mail.cliente.example>"
    raw = PLAIN.replace(b"<t1@vinculo.example>", itself)
    assert parse(raw).references == ["<t1@vinculo.example>", "<t2@vinculo.example>"]


def test_a_missing_or_unparseable_date_becomes_the_receive_time():
    missing = parse(re.sub(rb"Date: [^\r]*\r\n", b"", PLAIN))
    assert missing.date == RECEIVED
    assert "Date header missing; the receive time is used" in missing.defects
    garbled = parse(PLAIN.replace(b"Fri, 13 Mar 2026 18:05:00 -0600", b"yesterday-ish"))
    assert garbled.date == RECEIVED
    assert "Date header 'yesterday-ish' unparseable; the receive time is used" in garbled.defects
    out_of_range = parse(PLAIN.replace(b"13 Mar 2026", b"31 Feb 2026"))
    assert out_of_range.date == RECEIVED
    unknown_zone = parse(PLAIN.replace(b"-0600", b"-0000"))  # RFC 5322: zone not known
    assert unknown_zone.date == datetime(2026, 3, 13, 18, 5, tzinfo=UTC)
    assert unknown_zone.date.tzinfo is not None


def test_the_receive_time_defaults_to_now():
    before = datetime.now(UTC)
    message = parse_message(re.sub(rb"Date: [^\r]*\r\n", b"", PLAIN))
    assert before <= message.date <= datetime.now(UTC)


def test_a_missing_subject_is_empty_and_noted():
    message = parse(re.sub(rb"Subject: [^\r]*\r\n", b"", PLAIN))
    assert message.subject == ""
    assert "Subject header missing" in message.defects


def test_without_a_from_address_the_sender_header_is_used():
    raw = re.sub(rb"From: [^\r]*", b"From: Ana", PLAIN)
    raw = b"Sender: Robot <robot@cliente.example>\r\n" + raw
    message = parse(raw)
    assert message.from_address == "robot@cliente.example"
    assert "no usable From address; the Sender address is used" in message.defects


def test_unusable_recipients_are_left_out_and_noted():
    raw = PLAIN.replace(
        b"To: Soporte <Soporte@vinculo.example>, otro@vinculo.example",
        b"To: undisclosed-recipients:;, Bad <bad>, ok@vinculo.example",
    )
    message = parse(raw)
    assert message.to == ["ok@vinculo.example"]
    assert "unusable address 'bad' in the To header left out" in message.defects


def test_nul_bytes_and_control_characters_never_reach_the_result():
    raw = PLAIN.replace(b"Pedido 1234", b"Pedido\x00 1234\x07").replace(
        "¿cómo va".encode(), b"\xc2\xbfc\x00\xc3\xb3mo va"
    )
    message = parse(raw)
    assert message.subject == "Pedido 1234"
    assert message.text == "Hola, ¿cómo va el pedido?"
    assert_storable(message)


# --- structure, bodies and attachments -----------------------------------------------------


def test_nested_multiparts_give_the_text_the_sanitised_html_and_every_attachment():
    message = parse(NESTED)
    assert message.text == "Hola, van las fotos."
    html = message.html
    assert "<b>fotos</b>" in html
    assert 'src="cid:logo@cliente.example"' in html  # inline images stay linked by cid
    assert 'style="color:red"' in html  # harmless styles kept, position:fixed removed
    for gone in ("script", "alert", "onclick", "iframe", "javascript", "Secret title", "position"):
        assert gone not in html
    assert [(a.filename, a.content_type, a.content_id) for a in message.attachments] == [
        ("attachment-1.png", "image/png", "<logo@cliente.example>"),
        ("foto.jpg", "image/jpeg", ""),
    ]
    assert message.attachments[0].data == b"\x89PNG\r\n\x1a\n"
    assert message.attachments[1].data == base64.b64decode("/9j/4AAQ")
    assert message.attachments[1].size == 6
    # an inline image without a name is normal: not a defect
    assert message.defects == []


def test_an_html_only_message_gets_its_text_from_the_html():
    raw = crlf("""
From: news@tienda.example
Subject: Oferta
Content-Type: text/html; charset=windows-1252

<html><head><style>.x{}</style><title>Oferta</title></head><body>
<h1>Oferta &amp; descuento</h1><p>Primera   línea<br>segunda línea</p>
<table><tr><td>A</td><td>B</td></tr></table><script>var x = 1;</script>
</body></html>
""").replace("línea".encode(), "línea".encode("windows-1252"))
    message = parse(raw)
    assert message.text == "Oferta & descuento\n\nPrimera línea\nsegunda línea\n\nA B"
    assert message.html.startswith("<h1>Oferta &amp; descuento</h1>")
    assert "<script>" not in message.html and ".x{}" not in message.html


def test_inline_text_parts_beside_the_body_are_appended_to_it():
    raw = crlf("""
From: ana@cliente.example
Subject: lista
Content-Type: multipart/mixed; boundary=b

--b
Content-Type: text/plain

Cuerpo.
--b
Content-Type: text/plain

--
Pie de la lista
--b--
""")
    assert parse(raw).text == "Cuerpo.\n\n--\nPie de la lista"


def test_a_forwarded_message_is_kept_whole_as_an_eml_attachment():
    inner = crlf("""
From: cliente@otro.example
Subject: =?utf-8?Q?Queja_n=C2=BA_9?=
Message-ID: <inner@otro.example>

El producto llegó roto.
""")
    raw = crlf("""
From: ana@cliente.example
Subject: Fwd: Queja
Message-ID: <fwd@cliente.example>
Date: Fri, 13 Mar 2026 10:00:00 +0100
Content-Type: multipart/mixed; boundary=b

--b
Content-Type: text/plain; charset=utf-8

Te reenvío la queja.
--b
Content-Type: message/rfc822

""") + inner + b"\r\n--b--\r\n"
    message = parse(raw)
    assert message.text == "Te reenvío la queja."
    (attachment,) = message.attachments
    assert (attachment.filename, attachment.content_type) == ("Queja nº 9.eml", "message/rfc822")
    enclosed = parse(attachment.data)  # the enclosed message parses on its own
    assert enclosed.message_id == "<inner@otro.example>"
    assert enclosed.text.strip() == "El producto llegó roto."
    assert message.defects == []


def test_an_attachment_without_a_file_name_is_kept_under_a_generated_one():
    raw = crlf("""
From: ana@cliente.example
Subject: adjunto
Content-Type: multipart/mixed; boundary=b

--b
Content-Type: text/plain

Ver adjunto.
--b
Content-Type: application/pdf
Content-Transfer-Encoding: base64

JVBERi0xLjQK
--b--
""")
    message = parse(raw)
    (attachment,) = message.attachments
    assert (attachment.filename, attachment.data) == ("attachment-1.pdf", b"%PDF-1.4\n")
    assert "attachment without a file name kept as attachment-1.pdf" in message.defects


def test_attachment_file_names_are_decoded_and_never_paths():
    raw = crlf("""
From: ana@cliente.example
Subject: nombres
Content-Type: multipart/mixed; boundary=b

--b
Content-Type: application/octet-stream
Content-Disposition: attachment; filename*=utf-8''Presupuesto%20a%C3%B1o.xlsx

x
--b
Content-Type: application/octet-stream
Content-Disposition: attachment; filename="=?utf-8?B?Y29udHJhdG8uZG9jeA==?="

y
--b
Content-Type: application/octet-stream
Content-Disposition: attachment; filename="..\\\\..\\\\windows\\\\evil.exe"

z
--b
Content-Type: application/octet-stream
Content-Disposition: attachment; filename="../../etc/passwd"

w
--b--
""")
    names = [a.filename for a in parse(raw).attachments]
    assert names == ["Presupuesto año.xlsx", "contrato.docx", "evil.exe", "passwd"]


def test_an_attachment_over_the_limit_is_dropped_with_its_name_size_and_reason():
    big = os.urandom(26 * MB)  # the default limits: 25 MB per attachment, 40 MB per message
    raw = crlf("""
From: ana@cliente.example
Subject: informe
Content-Type: multipart/mixed; boundary=b

--b
Content-Type: text/plain

Ahí va.
--b
Content-Type: application/pdf; name=informe.pdf
Content-Disposition: attachment; filename=informe.pdf
Content-Transfer-Encoding: base64

""") + base64.encodebytes(big) + crlf("""
--b
Content-Type: text/csv; name=small.csv
Content-Disposition: attachment; filename=small.csv

a,b
--b--
""")
    assert len(raw) < 40 * MB
    message = parse(raw)
    dropped, small = message.attachments
    assert (dropped.filename, dropped.size, dropped.data) == ("informe.pdf", len(big), None)
    assert dropped.dropped_reason == "larger than 25 MB"
    assert "attachment informe.pdf (26 MB) dropped: larger than 25 MB" in message.defects
    assert (small.filename, small.data) == ("small.csv", b"a,b")
    assert message.text == "Ahí va."


def test_a_multipart_without_a_boundary_is_read_as_text():
    raw = crlf("""
From: ana@cliente.example
Subject: roto
Content-Type: multipart/mixed

Texto sin partes.
""")
    message = parse(raw)
    assert message.text == "Texto sin partes."
    assert any("boundary" in d.lower() for d in message.defects)


def test_a_missing_closing_boundary_keeps_every_part():
    message = parse(NESTED.replace(b"--outer--\r\n", b""))
    assert [a.filename for a in message.attachments] == ["attachment-1.png", "foto.jpg"]
    assert message.text == "Hola, van las fotos."


def test_a_broken_base64_attachment_is_kept_as_far_as_it_decodes():
    message = parse(NESTED.replace(b"/9j/4AAQ", b"/9j/4A*!AQx"))  # a stray character, cut short
    assert message.attachments[1].data == base64.b64decode("/9j/4AAQ")
    assert any("base64" in d for d in message.defects)


# --- auto-submitted ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ((b"Subject:", b"Auto-Submitted: auto-replied\r\nSubject:"), True),
        ((b"Subject:", b"Auto-Submitted: auto-generated; owner-email=x@y\r\nSubject:"), True),
        ((b"Subject:", b"Auto-Submitted: no\r\nSubject:"), False),
        ((b"Subject:", b"X-Autoreply: yes\r\nSubject:"), True),
        ((b"Subject:", b"X-Autorespond: yes\r\nSubject:"), True),
        ((b"Subject:", b"Precedence: bulk\r\nSubject:"), True),
        ((b"Subject:", b"Precedence: junk\r\nSubject:"), True),
        ((b"Subject:", b"Precedence: list\r\nSubject:"), True),
        ((b"Subject:", b"Precedence: first-class\r\nSubject:"), False),
        ((b"Subject:", b"List-Id: Ventas <ventas.lists.example>\r\nSubject:"), True),
        ((b"Return-Path: <ana@cliente.example>", b"Return-Path: <>"), True),
        ((b"Ana.Perez@Cliente.EXAMPLE", b"MAILER-DAEMON@mx.cliente.example"), True),
        ((b"text/plain; charset=utf-8", b"multipart/report; report-type=delivery-status"), True),
        ((b"", b""), False),
    ],
)
def test_auto_replies_bounces_and_list_mail_are_flagged(change, expected):
    assert parse(PLAIN.replace(*change)).auto_submitted is expected


# --- refused -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "the message is empty"),
        (b"\r\n \r\n", "the message is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10", "not a mail message"),
        (bytes(range(256)) * 4, "not a mail message"),
        (crlf("Subject: no sender\n\nbody\n"), "no sender address: the From header is missing"),
        (crlf("From: Ana\nSubject: x\n\nbody\n"), "the From header 'Ana' holds no usable"),
        (crlf("From: <>\nSubject: x\n\nbody\n"), "holds no usable address"),
    ],
)
def test_unusable_messages_are_refused_with_a_reason(raw, reason):
    with pytest.raises(MessageRejected) as refused:
        parse(raw)
    assert reason in refused.value.reason
    assert isinstance(refused.value, ValueError)


def test_a_message_over_the_size_limit_is_refused():
    raw = PLAIN + b"x" * (3000 - len(PLAIN))
    with pytest.raises(MessageRejected, match=r"^the message is 3 KB, larger than the 1 KB limit$"):
        parse(raw, max_message_bytes=1024)
    assert parse(raw, max_message_bytes=len(raw)).size == len(raw)


# --- replies and ids -----------------------------------------------------------------------


def test_reply_headers_continue_the_chain_and_thread_back_onto_the_parent():
    parent = parse(PLAIN)
    headers = reply_headers(parent.message_id, parent.references)
    assert headers == {
        "In-Reply-To": "<CAF=123@mail.cliente.example>",
        "References": "<t1@vinculo.example> <t2@vinculo.example> <CAF=123@mail.cliente.example>",
    }
    reply = email.message.EmailMessage(policy=policy.SMTP)
    reply["From"] = "soporte@vinculo.example"
    reply["Subject"] = "Re: Pedido 1234"
    reply["Message-ID"] = make_message_id("vinculo.example")
    for name, value in headers.items():
        reply[name] = value
    reply.set_content("Ya salió.")
    parsed = parse(reply.as_bytes())
    assert parsed.in_reply_to == parent.message_id
    assert parsed.references == [*parent.references, parent.message_id]


def test_reply_references_are_capped_keeping_the_root_and_the_latest():
    chain = [f"<m{i}@x.example>" for i in range(50)]
    references = reply_headers("<m50@x.example>", chain)["References"].split()
    assert len(references) == MAX_REFERENCES
    assert references[0] == "<m0@x.example>"
    assert references[-2:] == ["<m49@x.example>", "<m50@x.example>"]
    assert references[1] == f"<m{50 - MAX_REFERENCES + 2}@x.example>"


def test_reply_headers_normalise_and_refuse_a_garbled_parent_id():
    headers = reply_headers("p@x.example", ["<a@x.example>", "garbage words", "<a@x.example>"])
    assert headers["References"] == "<a@x.example> <p@x.example>"
    with pytest.raises(ValueError, match="not a Message-ID"):
        reply_headers("no id here", [])


def test_make_message_id_is_unique_and_at_the_domain():
    ids = {make_message_id("Vinculo.Example") for _ in range(1000)}
    assert len(ids) == 1000
    assert all(re.fullmatch(r"<[0-9a-f]{32}@vinculo\.example>", i) for i in ids)
    assert make_message_id("müller.example").endswith("@xn--mller-kva.example>")
    for bad in ("", "a b.example", "x@y", "<x>"):
        with pytest.raises(ValueError, match="not a domain name"):
            make_message_id(bad)


# --- fuzzing -------------------------------------------------------------------------------

SAMPLES = [PLAIN, NESTED]


def parse_or_refuse(raw: bytes) -> None:
    try:
        message = parse(raw)
    except MessageRejected as refused:
        # the catch-all that keeps the poller alive must not be what answered: that would be
        # a bug here, not a bad message
        assert refused.reason
        assert not refused.reason.startswith("the message cannot be parsed"), refused.reason
        return
    assert_storable(message)
    assert message.from_address and "@" in message.from_address
    assert message.message_id.startswith("<") and message.message_id.endswith(">")


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4000))
def test_random_bytes_are_parsed_or_refused_never_anything_else(raw):
    parse_or_refuse(raw)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000), st.sampled_from([b"\r\n", b"\n", b"\r\n\r\n"]))
def test_random_bytes_after_a_from_header_are_kept(raw, separator):
    # after a header that random continuation lines may extend, the sender stays usable
    message = parse(b"From: ana@cliente.example\r\nSubject: fuzz" + separator + raw)
    assert message.from_address == "ana@cliente.example"
    assert_storable(message)


@st.composite
def mangled(draw) -> bytes:
    raw = bytearray(draw(st.sampled_from(SAMPLES)))
    random = draw(st.randoms(use_true_random=False))  # positions spread over the whole message
    for _ in range(draw(st.integers(1, 8))):
        action = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "line", "header"]))
        at = random.randrange(len(raw) + 1)
        if action == "flip" and at < len(raw):
            raw[at] = draw(st.integers(0, 255))
        elif action == "insert":
            raw[at:at] = draw(st.binary(min_size=1, max_size=40))
        elif action == "delete":
            del raw[at : at + draw(st.integers(1, 60))]
        elif action == "truncate":
            del raw[at:]
        elif action == "line":  # a hostile header or boundary line
            raw[at:at] = draw(
                st.sampled_from([
                    b"\r\nContent-Type: multipart/mixed; boundary=\"\"\r\n",
                    b"\r\nContent-Transfer-Encoding: base64\r\n",
                    b"\r\nSubject: =?utf-8?B?////?= =?bogus?Q?=FF=FE?=\r\n",
                    b"\r\nFrom: \"\\\" <@>, =?utf-16?B?2D3eAA==?= <x@y>\r\n",
                    b"\r\nDate: Mon, 99 Foo 99999 99:99:99 +9999\r\n",
                    b"\r\n--outer\r\nContent-Type: message/rfc822\r\n\r\n",
                    b"\r\nContent-Type: text/plain; charset=utf-7\r\n\r\n+2D3eAA-",
                    b"\r\nContent-Disposition: attachment; filename*=bogus''%FF%00\r\n",
                ])
            )  # fmt: skip
        elif action == "header":  # repeat a header line with random bytes in it
            name, value = draw(st.binary(max_size=30)), draw(st.binary(max_size=30))
            raw[at:at] = b"\r\nX-" + name + b": " + value
    return bytes(raw)


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(mangled())
def test_mangled_messages_are_parsed_or_refused_never_anything_else(raw):
    parse_or_refuse(raw)


def test_deeply_nested_multiparts_are_refused_or_parsed_without_crashing():
    depth = 3000
    opening = b"".join(
        b"--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n" % (i, i + 1)
        for i in range(depth)
    )
    raw = b"From: a@b.example\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n" + opening
    parse_or_refuse(raw + b"--b%d\r\n\r\ntext\r\n" % depth)


def test_the_receive_time_must_be_aware_or_is_taken_as_utc():
    naive = datetime(2026, 1, 1, 12, 0)
    message = parse_message(re.sub(rb"Date: [^\r]*\r\n", b"", PLAIN), received_at=naive)
    assert message.date == naive.replace(tzinfo=UTC)
    other_zone = datetime(2026, 1, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    message = parse_message(re.sub(rb"Date: [^\r]*\r\n", b"", PLAIN), received_at=other_zone)
    assert message.date == other_zone
