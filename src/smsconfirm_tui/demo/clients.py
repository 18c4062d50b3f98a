"""Random clients for the demo salon: names, languages, phone fields and profiles."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from smsconfirm_tui.demo import phones
from smsconfirm_tui.demo.model import Client

# Given names by origin and gender, and family names by origin. Swiss spelling
# with umlauts and accents on purpose, because the product must handle them.
GIVEN_NAMES = {
    ("de", "f"): [
        "Anna", "Sandra", "Monika", "Ursula", "Daniela", "Nicole", "Corinne", "Barbara", "Regula",
        "Käthi", "Brigitte", "Jasmin", "Rahel", "Seraina", "Doris", "Verena", "Silvia", "Lea",
        "Jana", "Nadja", "Mägi", "Andrea", "Franziska", "Annemarie", "Susanne", "Selina",
    ],
    ("de", "m"): [
        "Jürg", "Urs", "Beat", "Reto", "Lukas", "Matthias", "Andreas", "Jörg", "Hans-Peter",
        "Markus", "Thomas", "Stefan", "Christoph", "Dominik", "Rolf", "Rüdiger", "Fabian",
    ],
    ("fr", "f"): [
        "Béatrice", "Hélène", "Céline", "Amélie", "Anaïs", "Gaëlle", "Mélanie", "Noémie", "Zoé",
        "Chloé", "Maëlle", "Aurélie", "Anne-Marie", "Élodie", "Françoise", "Sylvie", "Léa",
    ],
    ("fr", "m"): [
        "François", "Jérôme", "Loïc", "Sébastien", "Frédéric", "Stéphane", "Joël", "Noël",
        "Raphaël", "Benoît", "Jean-Luc", "Cédric",
    ],
    ("it", "f"): [
        "Chiara", "Giulia", "Francesca", "Alessia", "Elisa", "Sara", "Tiziana", "Raffaella",
        "Federica", "Martina", "Graziella", "Lucia", "Ilaria", "Rosanna",
    ],
    ("it", "m"): [
        "Niccolò", "Matteo", "Lorenzo", "Fabrizio", "Mattia", "Nicolò", "Davide", "Andrea",
        "Giovanni", "Gianluca", "Pietro",
    ],
    ("en", "f"): ["Emily", "Olivia", "Sophie", "Charlotte", "Grace", "Hannah", "Chloe"],
    ("en", "m"): ["James", "Oliver", "Jack", "Harry", "William", "Liam"],
    ("other", "f"): ["Ana", "Elif", "Fatjona", "Mirjeta", "Ayşe", "Lucía", "Ivana", "Dragana", "Joana"],
    ("other", "m"): ["Arben", "Mehmet", "Burak", "Luís", "Milan", "Dušan", "Tiago", "Ilir"],
}

FAMILY_NAMES = {
    "de": [
        "Müller", "Meier", "Schmid", "Keller", "Weber", "Huber", "Schneider", "Zürcher", "Gächter",
        "Bühler", "Brändli", "Känzig", "Frei", "Baumann", "Graf", "Hofmann", "Wüthrich", "Brunner",
        "Steiner", "Rüegg", "Lüthi", "Stöckli", "Bösch", "Fässler", "Zünd", "von Allmen", "Egli",
        "Gerber", "Blättler", "Hürlimann", "Näf", "Schärer",
    ],
    "fr": [
        "Favre", "Rochat", "Bonvin", "Berset", "Genoud", "Dufour", "Perrin", "Clément", "Dubois",
        "Mercier", "Chevalley", "Crausaz", "Pasche", "Brélaz", "Rossier", "Délèze", "Vuilleumier",
        "de Weck", "Jaquier", "Maillard",
    ],
    "it": [
        "Rossi", "Bernasconi", "Crivelli", "Fontana", "Galli", "Ferrari", "Lurati", "Pedrazzini",
        "Gianella", "Cattaneo", "Bianchi", "Colombo", "Soldati", "Pellandini", "Dell'Acqua",
        "D'Andrea", "De Marchi", "Mazzoleni", "Foletti",
    ],
    "en": ["Smith", "Johnson", "Brown", "O'Connor", "Taylor", "Wilson", "McLeod", "Evans"],
    "other": [
        "Gonçalves", "Krasniqi", "Yılmaz", "Berisha", "Fernández", "Petrović", "Demir",
        "Ferreira", "Kovačević", "Hoxha", "Şahin",
    ],
}

ORIGIN_WEIGHTS = {"de": 55, "fr": 14, "it": 19, "en": 4, "other": 8}

# The language in the profile usually matches the name, but not always, and
# it is often left empty.
LANGUAGE_WEIGHTS = {
    "de": {"de": 84, "": 12, "en": 2, "fr": 2},
    "fr": {"fr": 78, "de": 10, "": 12},
    "it": {"it": 78, "de": 10, "": 12},
    "en": {"en": 70, "de": 12, "": 18},
    "other": {"de": 50, "": 34, "en": 10, "fr": 4, "it": 2},
}

PHONE_PROFILE_WEIGHTS = {
    "swiss_mobile": 70,
    "mobile_in_other_field": 6,
    "landline_in_mobile_field": 4,
    "landline_only": 6,
    "foreign_mobile": 5,
    "invalid": 4,
    "empty": 5,
}
PROFILES_WITH_MOBILE = {"swiss_mobile", "mobile_in_other_field", "foreign_mobile"}

# Together with the phone profile weights this gives about 55% of clients
# with SMS confirmation on.
CONFIRM_SMS_PROBABILITY_WITH_MOBILE = 0.66
CONFIRM_SMS_PROBABILITY_WITHOUT_MOBILE = 0.15

CONFIRM_DAYS_WEIGHTS_SMS_ON = {None: 75, 1: 7, 2: 2, 3: 10, 4: 6}
CONFIRM_DAYS_WEIGHTS_SMS_OFF = {None: 92, 1: 4, 3: 4}


def _weighted(rng: random.Random, weights: dict) -> object:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def client_id(number: int) -> str:
    return f"K{number:05d}"


def timestamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def random_office_moment(rng: random.Random, day: date) -> datetime:
    """Return a moment on ``day`` between 08:00:00 and 18:59:59."""
    seconds = rng.randint(8 * 3600, 19 * 3600 - 1)
    return datetime.combine(day, time()) + timedelta(seconds=seconds)


def _random_name(rng: random.Random, origin: str, gender: str) -> tuple[str, str]:
    first_name = rng.choice(GIVEN_NAMES[(origin, gender)])
    last_name = rng.choice(FAMILY_NAMES[origin])
    if rng.random() < 0.05:
        # A double family name after marriage, usually with a local one.
        other_origin = "de" if origin != "de" else rng.choice(["de", "fr", "it"])
        second = rng.choice(FAMILY_NAMES[other_origin])
        if second != last_name:
            last_name = f"{last_name}-{second}"
    return first_name, last_name


def _fill_phones(rng: random.Random, client: Client, profile: str) -> None:
    """Set the three phone fields of ``client`` for one phone profile."""
    if profile == "swiss_mobile":
        client.mobile_phone = phones.typed_swiss_mobile(rng)
        if rng.random() < 0.25:
            client.home_phone = phones.typed_swiss_landline(rng)
        if rng.random() < 0.12:
            client.work_phone = phones.typed_swiss_business(rng) if rng.random() < 0.6 else phones.typed_swiss_landline(rng)
    elif profile == "mobile_in_other_field":
        if rng.random() < 0.5:
            client.work_phone = phones.typed_swiss_mobile(rng)
            if rng.random() < 0.5:
                client.home_phone = phones.typed_swiss_landline(rng)
        else:
            client.home_phone = phones.typed_swiss_mobile(rng)
    elif profile == "landline_in_mobile_field":
        client.mobile_phone = phones.typed_swiss_landline(rng)
    elif profile == "landline_only":
        client.home_phone = phones.typed_swiss_landline(rng)
        if rng.random() < 0.3:
            client.work_phone = phones.typed_swiss_business(rng)
    elif profile == "foreign_mobile":
        client.mobile_phone = phones.typed_foreign_mobile(rng)
    elif profile == "invalid":
        client.mobile_phone = phones.typed_invalid(rng)
        if rng.random() < 0.4:
            client.home_phone = phones.typed_swiss_landline(rng)
    elif profile != "empty":
        raise ValueError(f"unknown phone profile: {profile!r}")


def random_client(rng: random.Random, number: int, today: date) -> Client:
    """Create client number ``number`` with random but plausible data."""
    origin = str(_weighted(rng, ORIGIN_WEIGHTS))
    gender = "f" if rng.random() < 0.72 else "m"
    first_name, last_name = _random_name(rng, origin, gender)
    client = Client(id=client_id(number), first_name=first_name, last_name=last_name, gender=gender)
    client.language = str(_weighted(rng, LANGUAGE_WEIGHTS[origin]))

    profile = str(_weighted(rng, PHONE_PROFILE_WEIGHTS))
    _fill_phones(rng, client, profile)

    if profile in PROFILES_WITH_MOBILE:
        sms_probability = CONFIRM_SMS_PROBABILITY_WITH_MOBILE
    else:
        sms_probability = CONFIRM_SMS_PROBABILITY_WITHOUT_MOBILE
    client.confirm_sms = 1 if rng.random() < sms_probability else 0
    days_weights = CONFIRM_DAYS_WEIGHTS_SMS_ON if client.confirm_sms else CONFIRM_DAYS_WEIGHTS_SMS_OFF
    client.confirm_days = _weighted(rng, days_weights)  # type: ignore[assignment]

    if origin == "it":
        client.home_salon_id = "S2" if rng.random() < 0.75 else "S1"
    else:
        client.home_salon_id = "S1" if rng.random() < 0.85 else "S2"

    last_edit_day = today - timedelta(days=rng.randint(3, 900))
    client.updated_at = timestamp(random_office_moment(rng, last_edit_day))
    return client
