"""What the demo customers are drawn from: name, street and company pools of Spain, Britain
and the United States, E.164 phones and valid tax ids computed directly (Spanish NIF/CIF, UK
VAT, US EIN), and company names. ``customers.demo`` writes the rows."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from vinculo.customers.models import Channel, CompanySize, LeadStatus, LifecycleStage, SourceChannel
from vinculo.customers.normalize import fold

ES, GB, US = 0, 1, 2

# ---- pools ------------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


ES_FIRST = _words(
    "Antonio José Manuel Francisco David Juan Javier Daniel Carlos Jesús Alejandro Miguel Pedro "
    "Pablo Ángel Sergio Fernando Jorge Luis Alberto Álvaro Diego Adrián Raúl Enrique Ramón Iñaki "
    "Rubén Óscar Andrés Joaquín Santiago Víctor Eduardo Ignacio María Carmen Ana Isabel Laura "
    "Cristina Marta Lucía Francisca Dolores Paula Elena Raquel Pilar Sara Manuela Rocío Mercedes "
    "Beatriz Nuria Silvia Julia Irene Patricia Inés Sofía Noelia Alicia Begoña Montserrat Ainhoa"
)
ES_FIRST += ["María José", "José Luis", "Juan Carlos", "María Ángeles", "José Antonio",
             "Ana Belén", "Miguel Ángel", "María del Mar"]
ES_SURNAMES = _words(
    "García Rodríguez González Fernández López Martínez Sánchez Pérez Gómez Martín Jiménez Ruiz "
    "Hernández Díaz Moreno Muñoz Álvarez Romero Alonso Gutiérrez Navarro Torres Domínguez "
    "Vázquez Ramos Gil Ramírez Serrano Blanco Molina Morales Suárez Ortega Delgado Castro Ortiz "
    "Rubio Marín Sanz Núñez Iglesias Medina Garrido Cortés Castillo Santos Lozano Guerrero Cano "
    "Prieto Méndez Cruz Calvo Gallego Herrera Márquez León Peña Flores Cabrera Campos Vega "
    "Fuentes Carrasco Díez Reyes Caballero Nieto Aguilar Pascual Santana Herrero Montero Lorenzo "
    "Hidalgo Giménez Ibáñez Ferrer Durán Santiago Benítez Vidal Mora Vicente Arias Carmona "
    "Crespo Román Pastor Soto Sáez Velasco Moya Soler Parra Esteban Bravo Gallardo Rojas "
    "Etxeberria Aguirre Goikoetxea Puig Vilanova Castells"
)
EN_FIRST = _words(
    "Oliver George Harry Jack Jacob Noah Charlie Thomas Oscar William James Henry Leo Alfie "
    "Joshua Freddie Archie Ethan Isaac Alexander Joseph Samuel Daniel Logan Edward Lucas Max "
    "Michael Robert John David Richard Christopher Matthew Andrew Olivia Amelia Isla Ava Emily "
    "Sophia Grace Mia Poppy Ella Lily Evie Isabella Sophie Chloe Jessica Charlotte Emma Hannah "
    "Sarah Elizabeth Jennifer Linda Susan Karen Nancy Lisa Margaret Ashley Megan Rachel Zoe Chloë"
)
EN_SURNAMES = _words(
    "Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson "
    "Thompson Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke Patel Jackson "
    "Wood Turner Martin Cooper Hill Ward Morris Moore Clark Lee King Baker Harrison Morgan Allen "
    "James Scott Phillips Watson Davis Parker Price Bennett Young Griffiths Mitchell Kelly Cook "
    "Carter Richardson Bailey Collins Bell Shaw Murphy Miller Cox Richards Khan Marshall Anderson "
    "Simpson Ellis Adams Singh Begum Wilkinson Foster Chapman Powell Webb Rogers Gray Mason Ali "
    "Hunt Hussain Campbell Matthews Owen Palmer Holmes Mills Barnes Knight Lloyd Butler Russell "
    "Barker Fisher Stevens Jenkins Murray Dixon Harvey Garcia Rodriguez Nguyen Kim O'Brien "
    "O'Connor McDonald"
)

# city, region, postal code prefix, landline prefix (national significant number)
ES_CITIES = (
    ("Madrid", "Madrid", "280", "91"), ("Barcelona", "Barcelona", "080", "93"),
    ("Valencia", "Valencia", "460", "96"), ("Sevilla", "Sevilla", "410", "954"),
    ("Zaragoza", "Zaragoza", "500", "976"), ("Málaga", "Málaga", "290", "952"),
    ("Murcia", "Murcia", "300", "968"), ("Palma", "Illes Balears", "070", "971"),
    ("Las Palmas de Gran Canaria", "Las Palmas", "350", "928"),
    ("Bilbao", "Bizkaia", "480", "944"), ("Alicante", "Alicante", "030", "965"),
    ("Córdoba", "Córdoba", "140", "957"), ("Valladolid", "Valladolid", "470", "983"),
    ("Vigo", "Pontevedra", "362", "986"), ("Gijón", "Asturias", "332", "985"),
    ("A Coruña", "A Coruña", "150", "981"), ("Granada", "Granada", "180", "958"),
    ("Vitoria-Gasteiz", "Araba/Álava", "010", "945"), ("Pamplona", "Navarra", "310", "948"),
    ("Santander", "Cantabria", "390", "942"), ("Donostia-San Sebastián", "Gipuzkoa", "200", "943"),
    ("Salamanca", "Salamanca", "370", "923"), ("Cádiz", "Cádiz", "110", "956"),
    ("León", "León", "240", "987"), ("Logroño", "La Rioja", "260", "941"),
)
GB_CITIES = (
    ("London", "Greater London", "EC", "207"), ("London", "Greater London", "SW", "208"),
    ("Manchester", "Greater Manchester", "M", "1612"), ("Birmingham", "West Midlands", "B", "1214"),
    ("Leeds", "West Yorkshire", "LS", "1132"), ("Glasgow", "Scotland", "G", "1412"),
    ("Edinburgh", "Scotland", "EH", "1312"), ("Bristol", "Bristol", "BS", "1179"),
    ("Liverpool", "Merseyside", "L", "1512"), ("Cambridge", "Cambridgeshire", "CB", "1223"),
    ("Oxford", "Oxfordshire", "OX", "1865"), ("Cardiff", "Wales", "CF", "2920"),
)
US_CITIES = (
    ("New York", "NY", "100", "212"), ("New York", "NY", "101", "646"),
    ("San Francisco", "CA", "941", "415"), ("Los Angeles", "CA", "900", "213"),
    ("Chicago", "IL", "606", "312"), ("Boston", "MA", "021", "617"),
    ("Seattle", "WA", "981", "206"), ("Austin", "TX", "787", "512"),
    ("Miami", "FL", "331", "305"), ("Washington", "DC", "200", "202"),
    ("Denver", "CO", "802", "303"), ("Atlanta", "GA", "303", "404"),
    ("Portland", "OR", "972", "503"), ("Las Vegas", "NV", "891", "702"),
)
COUNTRY = ("ES", "GB", "US")
LANGUAGE = ("es", "en", "en")
ES_STREETS = (
    "Calle Mayor", "Gran Vía", "Calle de Alcalá", "Avenida de la Constitución", "Calle Real",
    "Paseo de la Castellana", "Calle del Sol", "Avenida de Andalucía", "Calle San Vicente",
    "Rambla de Catalunya", "Calle Larios", "Avenida de la Libertad", "Plaza de España",
    "Calle de la Iglesia", "Camino Viejo", "Calle Colón", "Avenida del Puerto",
)
GB_STREETS = ("High Street", "Station Road", "Church Lane", "Victoria Road", "Green Lane",
              "Manor Road", "Park Avenue", "King Street", "Queen Street", "Mill Lane")
US_STREETS = ("Main St", "Oak Ave", "Maple St", "Broadway", "Elm St", "Park Ave", "2nd St",
              "Washington Blvd", "Lake Shore Dr", "Market St")
ES_SECTORS = (
    "Construcciones", "Transportes", "Distribuciones", "Talleres", "Inmobiliaria", "Consultoría",
    "Ingeniería", "Suministros", "Automoción", "Climatización", "Electricidad", "Carpintería",
    "Seguros", "Asesoría", "Logística", "Reformas", "Farmacia", "Clínica Dental", "Hostelería",
    "Panadería", "Bodegas", "Aceites", "Conservas", "Mármoles", "Cerámicas", "Gráficas",
    "Viajes", "Ópticas", "Informática", "Estudio de Arquitectura",
)
EN_ADJECTIVES = (
    "Northern", "Summit", "Blue River", "Oakwood", "Silverline", "Redbridge", "Brightwater",
    "Greenfield", "Highgate", "Kingsway", "Riverside", "Westbrook", "Ironclad", "Pinnacle",
    "Harbour", "Evergreen", "Granite", "Lakeside", "Crown", "Meridian",
)
EN_SECTORS = (
    "Logistics", "Analytics", "Engineering", "Consulting", "Software", "Foods", "Pharma",
    "Construction", "Media", "Supplies", "Energy", "Capital", "Design", "Healthcare", "Motors",
    "Systems", "Retail", "Security", "Labs", "Travel",
)
INDUSTRIES = ("Construction", "Transport", "Wholesale", "Manufacturing", "Real estate",
              "Consulting", "Engineering", "Retail", "Hospitality", "Healthcare", "Software",
              "Food and drink", "Finance", "Energy", "Education")
# The same industries as a Spanish-speaking organisation names them: an industry is the
# organisation's own free text (its list is in Settings), so the demo writes it in the
# organisation's language rather than translating it on display.
ES_INDUSTRIES = ("Construcción", "Transporte", "Comercio mayorista", "Fabricación",
                 "Inmobiliaria", "Consultoría", "Ingeniería", "Comercio minorista",
                 "Hostelería", "Sanidad", "Software", "Alimentación y bebidas", "Finanzas",
                 "Energía", "Educación")
ES_TITLES = ("Director General", "Directora Financiera", "Jefe de Compras", "Responsable de IT",
             "Gerente", "Administrativa", "Director Comercial", "Técnico de Mantenimiento",
             "Responsable de Marketing", "Jefa de Proyecto", "Contable", "Socio")
EN_TITLES = ("CEO", "CFO", "Head of Procurement", "IT Manager", "Operations Manager",
             "Office Manager", "Sales Director", "Marketing Lead", "Project Manager",
             "Accountant", "Founder", "Buyer")
ES_ACCOUNT_ROLES = ("Decisor", "Compras", "Facturación", "Técnico", "Dirección", "Usuario")
EN_ACCOUNT_ROLES = ("Decision maker", "Purchasing", "Billing", "Technical", "Executive sponsor",
                    "User")
PERSON_ROLE = ("Titular", "Account holder", "Account holder")
FREE_MAIL = (("gmail.com", "hotmail.com", "yahoo.es", "outlook.es", "telefonica.net"),
             ("gmail.com", "outlook.com", "yahoo.co.uk", "btinternet.com", "icloud.com"),
             ("gmail.com", "yahoo.com", "outlook.com", "icloud.com", "aol.com"))
TLD = (".es", ".co.uk", ".com")
TAGS = (("VIP", "#dc3545"), ("Newsletter", "#0d6efd"), ("Feria 2025", "#6f42c1"),
        ("Partner", "#198754"), ("Riesgo de baja", "#fd7e14"), ("Key account", "#20c997"),
        ("Webinar", "#0dcaf0"), ("Referral", "#6c757d"), ("Sector público", "#6610f2"),
        ("Black Friday", "#212529"), ("Early adopter", "#ffc107"), ("Export", "#d63384"))
LEAD_NOTES = ("", "", "Pidió presupuesto por la web.", "Met at the trade fair.",
              "Interesado en la versión anual.", "Call back next quarter.",
              "Viene recomendado por un cliente.", "Downloaded the white paper.")
CONSENT_SOURCES = ("web form", "import", "event", "phone call", "contract")
# Each channel's chance to have a consent row, and the chance that it is granted.
CONSENT_CHANNELS = ((Channel.EMAIL, 0.55), (Channel.PHONE, 0.25), (Channel.SMS, 0.12),
                    (Channel.POST, 0.08))
CONSENT_GRANTED = 0.75

STAGES = [s.value for s in LifecycleStage]
STAGE_WEIGHTS = (0.30, 0.20, 0.10, 0.35, 0.05)
SOURCES = [s.value for s in SourceChannel]
SOURCE_WEIGHTS = (0.25, 0.15, 0.10, 0.15, 0.10, 0.08, 0.10, 0.05, 0.02)
SIZES = [s.value for s in CompanySize]
LEAD_STATUSES = [s.value for s in LeadStatus]
LEAD_STATUS_WEIGHTS = (0.30, 0.25, 0.15, 0.12, 0.18)
CHANNELS = ["", *(c.value for c in Channel)]
CIF_LETTERS = "JABCDEFGHI"
NIF_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
EIN_PREFIXES = ("01", "04", "10", "12", "20", "27", "30", "33", "35", "38", "46", "47", "52",
                "61", "71", "80", "90", "94", "95", "98")


@cache
def slug(text: str) -> str:
    """'María José' -> 'mariajose': an e-mail local part or a domain label."""
    return "".join(ch for ch in fold(text) if ch.isalnum())


@dataclass
class Names:
    """A pool of (display, folded, slug) strings indexed by NumPy arrays."""

    display: np.ndarray
    folded: np.ndarray
    slugs: np.ndarray

    @classmethod
    def of(cls, items: list[str], slug_of: Any = slug) -> Names:
        return cls(np.array(items, dtype=object), np.array([fold(i) for i in items], dtype=object),
                   np.array([slug_of(i) for i in items], dtype=object))


def name_pools() -> dict[str, Any]:
    es_last = [f"{a} {b}" for a in ES_SURNAMES for b in ES_SURNAMES if a != b]
    return {
        "first": (Names.of(list(ES_FIRST)), Names.of(list(EN_FIRST)), Names.of(list(EN_FIRST))),
        # Spanish people carry two surnames; the e-mail uses the first one.
        "last": (Names.of(es_last, lambda s: slug(s.split(" ")[0])), Names.of(list(EN_SURNAMES)),
                 Names.of(list(EN_SURNAMES))),
        "cities": (ES_CITIES, GB_CITIES, US_CITIES),
    }


def pick(rng: np.random.Generator, n: int, weights: tuple[float, ...]) -> np.ndarray:
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum())


def digits(rng: np.random.Generator, n: int, width: int) -> np.ndarray:
    """``n`` random strings of ``width`` decimal digits (leading zeros kept)."""
    if width <= 0:
        return np.full(n, "", dtype=object)
    values = rng.integers(0, 10**width, size=n)
    return np.array([f"{v:0{width}d}" for v in values.tolist()], dtype=object)


# ---- phones, tax ids ----------------------------------------------------------------------------


def mobiles(rng: np.random.Generator, locale: np.ndarray) -> np.ndarray:
    """E.164 mobiles: +34 6xx…, +44 7[1-3]xx…, +1 (area code of a big city)."""
    n = len(locale)
    tail = digits(rng, n, 8)
    us_area = np.array([c[3] for c in US_CITIES], dtype=object)[rng.integers(0, len(US_CITIES), n)]
    out = np.empty(n, dtype=object)
    lead_digit = rng.integers(1, 4, size=n)
    us_exchange = rng.integers(2, 10, size=n)
    for i, (loc, t) in enumerate(zip(locale.tolist(), tail.tolist(), strict=True)):
        if loc == ES:
            out[i] = f"+346{t}"
        elif loc == GB:
            out[i] = f"+447{lead_digit[i]}{t}"
        else:
            out[i] = f"+1{us_area[i]}{us_exchange[i]}{t[:6]}"
    return out


def landlines(rng: np.random.Generator, locale: np.ndarray, city: np.ndarray) -> np.ndarray:
    """E.164 fixed lines with the city's area code (national numbers: ES 9, GB 10, US 10)."""
    n = len(locale)
    tail = digits(rng, n, 9)
    first = rng.integers(2, 10, size=n)
    pools = (ES_CITIES, GB_CITIES, US_CITIES)
    out = np.empty(n, dtype=object)
    for i, (loc, c, t) in enumerate(zip(locale.tolist(), city.tolist(), tail.tolist(),
                                        strict=True)):
        prefix = pools[loc][c][3]
        if loc == ES:
            out[i] = f"+34{prefix}{t[: 9 - len(prefix)]}"
        elif loc == GB:
            out[i] = f"+44{prefix}{t[: 10 - len(prefix)]}"
        else:
            out[i] = f"+1{prefix}{first[i]}{t[:6]}"
    return out


def nif_persons(rng: np.random.Generator, n: int) -> np.ndarray:
    """Spanish DNI-based NIFs: 8 digits and the letter of the number modulo 23."""
    number = rng.integers(10_000_000, 99_999_999, size=n)
    letters = np.array(list(NIF_LETTERS), dtype=object)[number % 23]
    return np.array([f"{v}{c}" for v, c in zip(number.tolist(), letters.tolist(), strict=True)],
                    dtype=object)


def cif_companies(rng: np.random.Generator, kind: np.ndarray) -> np.ndarray:
    """Spanish CIFs for S.A. (A) and S.L. (B): letter, 7 digits, check digit."""
    n = len(kind)
    body = rng.integers(0, 10, size=(n, 7))
    body[:, 0] = rng.integers(0, 5, size=n)  # province code 01-52
    body[:, 1] = rng.integers(1, 10, size=n)
    even = body[:, 1] + body[:, 3] + body[:, 5]
    doubled = body[:, [0, 2, 4, 6]] * 2
    odd = (doubled // 10 + doubled % 10).sum(axis=1)
    check = (10 - (even + odd) % 10) % 10
    text = [("A" if k else "B") + "".join(map(str, row)) + str(c)
            for k, row, c in zip(kind.tolist(), body.tolist(), check.tolist(), strict=True)]
    return np.array(text, dtype=object)


def gb_vat(rng: np.random.Generator, n: int) -> np.ndarray:
    """UK VAT numbers: 7 digits weighted 8…2 plus two check digits, the total divisible by 97."""
    body = rng.integers(0, 10, size=(n, 7))
    body[:, 0] = rng.integers(1, 10, size=n)
    check = (-(body * np.arange(8, 1, -1)).sum(axis=1)) % 97
    return np.array(["".join(map(str, row)) + f"{c:02d}"
                     for row, c in zip(body.tolist(), check.tolist(), strict=True)], dtype=object)


def us_ein(rng: np.random.Generator, n: int) -> np.ndarray:
    prefix = np.array(EIN_PREFIXES, dtype=object)[rng.integers(0, len(EIN_PREFIXES), n)]
    return np.array([p + t for p, t in zip(prefix.tolist(), digits(rng, n, 7).tolist(),
                                           strict=True)], dtype=object)


def company_tax_ids(rng: np.random.Generator, locale: np.ndarray, kind: np.ndarray) -> np.ndarray:
    out = np.empty(len(locale), dtype=object)
    for loc, make in ((ES, lambda m: cif_companies(rng, kind[locale == ES])),
                      (GB, lambda m: gb_vat(rng, m)), (US, lambda m: us_ein(rng, m))):
        mask = locale == loc
        out[mask] = make(int(mask.sum()))
    return out


# ---- company names ------------------------------------------------------------------------------


def company_names(rng: np.random.Generator, locale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Company names and whether each is an S.A./Inc. (else S.L./Ltd/LLC)."""
    n = len(locale)
    pattern = rng.integers(0, 4, size=n)
    sector = rng.integers(0, 30, size=n)
    s1 = rng.integers(0, len(ES_SURNAMES), size=n)
    s2 = rng.integers(0, len(EN_SURNAMES), size=n)
    city = rng.integers(0, len(ES_CITIES), size=n)
    adjective = rng.integers(0, len(EN_ADJECTIVES), size=n)
    big = rng.random(n) < 0.3
    names = np.empty(n, dtype=object)
    for i, loc in enumerate(locale.tolist()):
        p = pattern[i]
        if loc == ES:
            surname = ES_SURNAMES[s1[i]]
            if p == 0:
                base = f"{ES_SECTORS[sector[i]]} {surname}"
            elif p == 1:
                base = f"{ES_SECTORS[sector[i]]} {ES_CITIES[city[i]][0]}"
            elif p == 2:
                base = f"Hermanos {surname}"
            else:
                base = f"{surname} y {ES_SURNAMES[(s1[i] + 7) % len(ES_SURNAMES)]} Asociados"
            names[i] = base + (" S.A." if big[i] else " S.L.")
        else:
            en_sector = EN_SECTORS[sector[i] % len(EN_SECTORS)]
            if p in (0, 1):
                base = f"{EN_ADJECTIVES[adjective[i]]} {en_sector}"
            elif p == 2:
                base = f"{EN_SURNAMES[s2[i]]} & Sons"
            else:
                base = f"{EN_SURNAMES[s2[i]]} {en_sector}"
            names[i] = base + ((" Inc." if big[i] else " LLC") if loc == US else " Ltd")
    return names, big
