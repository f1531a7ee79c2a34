"""The Spanish catalogue: complete, compiled, up to date with the sources, and actually served.

These checks read ``src/vinculo/locale/es/LC_MESSAGES/django.po`` with the standard library
only, so the suite does not need GNU gettext. To refresh the catalogue after adding strings::

    cd src/vinculo
    ../../.venv/bin/vinculo makemessages -l es --no-obsolete --no-location \
        --ignore='static/*' --ignore='migrations/*'
    # translate every empty or fuzzy entry in locale/es/LC_MESSAGES/django.po
    ../../.venv/bin/vinculo compilemessages
"""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import trim_whitespace

import vinculo

PACKAGE = Path(vinculo.__file__).resolve().parent
LC_MESSAGES = PACKAGE / "locale" / "es" / "LC_MESSAGES"
PO_FILE = LC_MESSAGES / "django.po"
MO_FILE = LC_MESSAGES / "django.mo"
# The same directories ``makemessages --ignore`` skips (see the procedure above).
IGNORED_DIRS = {"migrations", "static", "locale", "__pycache__"}


# --------------------------------------------------------------------------------------------
# A minimal .po reader (standard library only)
# --------------------------------------------------------------------------------------------

_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(".*")\s*$')


class PoEntry:
    def __init__(self) -> None:
        self.flags: set[str] = set()
        self.obsolete = False
        self.fields: dict[str, str] = {}
        self.line = 0

    @property
    def msgid(self) -> str:
        return self.fields.get("msgid", "")

    @property
    def key(self) -> tuple[str | None, str]:
        return self.fields.get("msgctxt"), self.msgid

    @property
    def msgstrs(self) -> list[str]:
        return [v for k, v in sorted(self.fields.items()) if k.startswith("msgstr")]

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and "msgctxt" not in self.fields


def parse_po(path: Path) -> list[PoEntry]:
    entries: list[PoEntry] = []
    entry = PoEntry()
    current: str | None = None

    def flush() -> None:
        nonlocal entry
        if "msgid" in entry.fields or entry.obsolete:
            entries.append(entry)
        entry = PoEntry()

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            flush()
            current = None
            continue
        if line.startswith("#~"):
            entry.obsolete = True
            continue
        if line.startswith("#,"):
            entry.flags.update(flag.strip() for flag in line[2:].split(",") if flag.strip())
            continue
        if line.startswith("#"):
            continue
        match = _KEYWORD.match(line)
        if match:
            if match.group(1) == "msgid" and "msgid" in entry.fields:
                flush()  # entries not separated by a blank line
            current = match.group(1)
            entry.fields[current] = ast.literal_eval(match.group(2))
            entry.line = entry.line or number
        elif line.startswith('"') and current:
            entry.fields[current] += ast.literal_eval(line)
        else:
            raise AssertionError(f"{path}:{number}: cannot parse {raw!r}")
    flush()
    return entries


@pytest.fixture(scope="module")
def po_entries() -> list[PoEntry]:
    assert PO_FILE.exists(), f"{PO_FILE} is missing: run makemessages (see the module docstring)"
    return parse_po(PO_FILE)


@pytest.fixture(scope="module")
def messages(po_entries) -> list[PoEntry]:
    return [e for e in po_entries if not e.is_header and not e.obsolete]


# --------------------------------------------------------------------------------------------
# (a) the catalogue is complete and well-formed
# --------------------------------------------------------------------------------------------


def test_header_declares_spanish_utf8_and_two_plural_forms(po_entries):
    headers = [e for e in po_entries if e.is_header]
    assert len(headers) == 1
    header = headers[0]
    assert "fuzzy" not in header.flags, "a fuzzy header is dropped by msgfmt"
    text = header.fields["msgstr"]
    assert "Language: es\n" in text
    assert "Content-Type: text/plain; charset=UTF-8\n" in text
    assert "Plural-Forms: nplurals=2; plural=(n != 1);\n" in text


def test_every_entry_is_translated_and_none_is_fuzzy(messages):
    assert messages, "the catalogue is empty"
    untranslated = [e.msgid for e in messages if not e.msgstrs or not all(e.msgstrs)]
    fuzzy = [e.msgid for e in messages if "fuzzy" in e.flags]
    assert untranslated == [], f"{len(untranslated)} untranslated: {untranslated[:20]}"
    assert fuzzy == [], f"{len(fuzzy)} fuzzy: {fuzzy[:20]}"


def test_plural_entries_have_exactly_two_forms(messages):
    for entry in messages:
        if "msgid_plural" in entry.fields:
            assert sorted(k for k in entry.fields if k.startswith("msgstr")) == [
                "msgstr[0]", "msgstr[1]"], entry.msgid
        else:
            assert "msgstr" in entry.fields, entry.msgid


def test_obsolete_entries_are_not_kept(po_entries):
    assert not [e for e in po_entries if e.obsolete], "run makemessages with --no-obsolete"


_PLACEHOLDER = re.compile(r"%\((\w+)\)[#0 +\-]*\d*(?:\.\d+)?[sdifrx]")


def test_translations_keep_the_placeholders(messages):
    for entry in messages:
        expected = sorted(_PLACEHOLDER.findall(entry.msgid + entry.fields.get("msgid_plural", "")))
        names = set(expected)
        for msgstr in entry.msgstrs:
            # a singular form may drop the count (``n``) but never invent or lose another name
            found = set(_PLACEHOLDER.findall(msgstr))
            assert found <= names, (entry.msgid, msgstr)
            assert names - found <= {"n", "count"}, (entry.msgid, msgstr)


def test_the_compiled_catalogue_matches_the_po_file(messages):
    """``django.mo`` is committed: it must be rebuilt whenever ``django.po`` changes."""
    assert MO_FILE.exists(), "run compilemessages"
    with MO_FILE.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for entry in messages:
        context, msgid = entry.key
        if "msgid_plural" in entry.fields:
            plural = entry.fields["msgid_plural"]
            got = [compiled.npgettext(context, msgid, plural, n) if context else
                   compiled.ngettext(msgid, plural, n) for n in (1, 2)]
            want = [entry.fields["msgstr[0]"], entry.fields["msgstr[1]"]]
        else:
            got = compiled.pgettext(context, msgid) if context else compiled.gettext(msgid)
            want = entry.fields["msgstr"]
        if got != want:
            stale.append(msgid)
    assert stale == [], f"django.mo is stale, run compilemessages: {stale[:10]}"


# --------------------------------------------------------------------------------------------
# (b) the catalogue is up to date with the sources
#
# This is a lightweight check, not a re-implementation of makemessages. It covers the simple
# literal forms, which are nearly all the strings of the project:
#   * Python: calls of _, gettext, gettext_lazy, gettext_noop, ngettext(_lazy), pgettext(_lazy),
#     npgettext(_lazy), found with the ``ast`` module, whose first arguments are string literals
#     (implicit concatenation of adjacent literals included);
#   * templates: {% translate/trans "…" [context "…"] %}, _("…") in tags and variables, and
#     {% blocktranslate/blocktrans [with|count|context|trimmed …] %}…{% endblocktranslate %}
#     bodies, with {{ var }} turned into %(var)s as makemessages does.
# Strings built at run time, or passed through variables, are not seen here.
# --------------------------------------------------------------------------------------------

_SIMPLE = {"_", "gettext", "gettext_lazy", "gettext_noop", "ugettext", "ugettext_lazy"}
_PLURAL = {"ngettext", "ngettext_lazy", "ungettext", "ungettext_lazy"}
_CONTEXT = {"pgettext", "pgettext_lazy"}
_CONTEXT_PLURAL = {"npgettext", "npgettext_lazy"}


def _literal(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def python_msgids(path: Path) -> set[tuple[str | None, str]]:
    found: set[tuple[str | None, str]] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else (
            func.attr if isinstance(func, ast.Attribute) else None)
        args = [_literal(arg) for arg in node.args]
        if name in _SIMPLE | _PLURAL and args[0] is not None:
            found.add((None, args[0]))
        elif name in _CONTEXT | _CONTEXT_PLURAL and len(args) > 1 and None not in args[:2]:
            found.add((args[0], args[1]))
    return found


_STRING = r'(?:"[^"]*"|\'[^\']*\')'
_TRANSLATE_TAG = re.compile(r"{%\s*(?:translate|trans)\s+(" + _STRING + r")"
                            r"(?:[^%]*?\bcontext\s+(" + _STRING + r"))?[^%]*%}")
_UNDERSCORE = re.compile(r"\b_\((" + _STRING + r")\)")
_BLOCK = re.compile(r"{%\s*(?:blocktranslate|blocktrans)\b([^%]*)%}(.*?)"
                    r"{%\s*end(?:blocktranslate|blocktrans)\s*%}", re.S)
_PLURAL_TAG = re.compile(r"{%\s*plural\s*%}")
_VARIABLE = re.compile(r"{{\s*([\w.]+)\s*}}")


def _block_msgid(body: str, trimmed: bool) -> str:
    text = _VARIABLE.sub(lambda m: "%(" + m.group(1) + ")s", body.replace("%", "%%"))
    return trim_whitespace(text) if trimmed else text


def template_msgids(path: Path) -> set[tuple[str | None, str]]:
    found: set[tuple[str | None, str]] = set()
    text = path.read_text(encoding="utf-8")
    for match in _TRANSLATE_TAG.finditer(text):
        context = match.group(2)[1:-1] if match.group(2) else None
        found.add((context, match.group(1)[1:-1]))
    for match in _UNDERSCORE.finditer(text):
        found.add((None, match.group(1)[1:-1]))
    for match in _BLOCK.finditer(text):
        options, body = match.group(1), match.group(2)
        context_match = re.search(r"\bcontext\s+(" + _STRING + ")", options)
        context = context_match.group(1)[1:-1] if context_match else None
        singular = _PLURAL_TAG.split(body)[0]
        found.add((context, _block_msgid(singular, "trimmed" in options.split())))
    return found


def _source_files(suffix: str) -> list[Path]:
    return sorted(p for p in PACKAGE.rglob(f"*{suffix}")
                  if not IGNORED_DIRS.intersection(p.relative_to(PACKAGE).parts[:-1]))


def _catalogue_has(keys: set[tuple[str | None, str]], key: tuple[str | None, str]) -> bool:
    context, msgid = key
    # makemessages writes a literal % of a {% translate %} string as %% in some cases
    return key in keys or (context, msgid.replace("%", "%%")) in keys


def test_the_scanner_finds_known_strings():
    """Guard against a scanner that silently finds nothing."""
    templates = set().union(*(template_msgids(p) for p in _source_files(".html")))
    python = set().union(*(python_msgids(p) for p in _source_files(".py")))
    assert (None, "History") in templates
    assert (None, "Edit") in templates
    assert (None, "Log in") in templates
    assert any("%(" in msgid for _, msgid in templates), "blocktranslate bodies are not scanned"
    assert (None, "Spanish") in python


@pytest.mark.parametrize("suffix", [".html", ".txt", ".py"])
def test_every_source_string_is_in_the_catalogue(messages, suffix):
    keys = {e.key for e in messages}
    extract = python_msgids if suffix == ".py" else template_msgids
    missing = []
    for path in _source_files(suffix):
        for key in sorted(extract(path), key=lambda k: (k[0] or "", k[1])):
            if not _catalogue_has(keys, key):
                missing.append(f"{path.relative_to(PACKAGE)}: {key[1]!r}"
                               + (f" (context {key[0]!r})" if key[0] else ""))
    assert missing == [], (
        f"{len(missing)} strings are not in django.po: run makemessages, translate and "
        f"compilemessages (see this module's docstring).\n" + "\n".join(missing[:40]))


# --------------------------------------------------------------------------------------------
# (c) the translations are served
# --------------------------------------------------------------------------------------------


def test_strings_checked_by_the_browser_test_are_translated():
    with translation.override("es"):
        assert translation.gettext("History") == "Historial"
        assert translation.gettext("Edit") == "Editar"
        assert translation.gettext("Log in") == "Iniciar sesión"
        assert translation.ngettext("and %(n)s more error.", "and %(n)s more errors.", 1) \
            % {"n": 1} == "y 1 error más."
        assert translation.ngettext("and %(n)s more error.", "and %(n)s more errors.", 3) \
            % {"n": 3} == "y 3 errores más."


@pytest.mark.django_db
def test_login_page_is_english_by_default(client, settings):
    settings.LANGUAGE_CODE = "en"
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert "Log in" in response.text
    assert "Iniciar sesión" not in response.text


@pytest.mark.django_db
def test_login_page_follows_accept_language(client, settings):
    settings.LANGUAGE_CODE = "en"
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 200
    assert "Iniciar sesión" in response.text
    assert '<html lang="es">' in response.text


@pytest.mark.django_db
def test_language_cookie_switches_to_spanish(client, settings):
    settings.LANGUAGE_CODE = "en"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en")
    assert "Iniciar sesión" in response.text


@pytest.mark.django_db
def test_set_language_view_sets_the_cookie(client, settings):
    settings.LANGUAGE_CODE = "en"
    login = reverse("login")
    response = client.post(reverse("set_language"), {"language": "es", "next": login})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    assert "Iniciar sesión" in client.get(login).text


def test_a_position_is_not_a_sales_order_in_spanish():
    """Stages and lost reasons have an "order" (their place in the list) that Spanish pages,
    forms and the audit log called "Pedido" (a sales order)."""
    from vinculo.sales.models import LostReason, Stage

    with translation.override("es"):
        assert str(Stage._meta.get_field("order").verbose_name) == "orden"
        assert str(LostReason._meta.get_field("order").verbose_name) == "orden"
        assert translation.pgettext("position in a list", "Order") == "Orden"
        assert translation.gettext("Order") == "Pedido"  # a sales order keeps its word


@pytest.mark.django_db
def test_a_users_language_ends_with_the_response(client, admin, settings):
    """A Spanish user's page is Spanish, and the thread that served it speaks the default again
    afterwards: a threaded server's next request, or anything written after the response (a
    reason stored on a record), must not inherit it."""
    settings.LANGUAGE_CODE = "en"
    admin.language = "es"
    admin.save()
    client.force_login(admin)
    with translation.override("en"):
        assert "Cerrar sesión" in client.get(reverse("home")).text
        assert translation.get_language() == "en"


def test_a_segment_of_lost_customers_is_plural_where_a_lost_opportunity_is_not():
    # the same English word, two Spanish ones: the RFM label carries a context
    from vinculo.analytics.models import SEGMENT_LABELS
    from vinculo.sales.models import OpportunityStatus

    with translation.override("es"):
        assert str(SEGMENT_LABELS["Lost"]) == "Perdidos"
        assert str(OpportunityStatus.LOST.label) != "Perdidos"
