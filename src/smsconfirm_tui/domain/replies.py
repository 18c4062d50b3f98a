"""Classification of a client's SMS reply as yes, no, stop or unclear.

The confirmation SMS requests a reply of J or N, but clients write "ja gerne", "oui",
"kann nicht", a question or a new time. Only a reply that is certainly yes,
no or an opt-out gets one of those classes. Anything else is UNCLEAR, so
that staff read it: a reply read as yes by mistake turns a client who
asked to move the appointment into a confirmed visit that nobody looks at.

Matching works on folded text: case, accents and the kind of apostrophe do
not count, and only whole words and whole phrases match.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum


class ReplyClass(StrEnum):
    YES = "yes"
    NO = "no"
    STOP = "stop"
    UNCLEAR = "unclear"


@dataclass(frozen=True)
class Classification:
    """Class of a reply and the rule that decided it."""

    reply_class: ReplyClass
    rule: str
    """The deciding rule in English, for staff and support, e.g. "yes word 'gerne' (de)"."""


# Word lists per language, written as clients type them. "gsw" is Swiss
# German dialect, which many clients in German-speaking Switzerland text in.
# A phrase of several words matches only as a whole and before its single
# words, so "kein Problem" is a yes although "kein" alone is a negation.
YES_WORDS: dict[str, tuple[str, ...]] = {
    "de": (
        "ja", "jawohl", "gerne", "gern", "sehr gerne", "bestätigt", "bestätige",
        "ok", "okay", "passt", "klar", "alles klar", "einverstanden", "genau",
        "kein Problem",
    ),
    "gsw": ("jo", "jep", "jup", "gärn", "gärne", "passt scho"),
    "fr": (
        "oui", "ouais", "ok", "okay", "d'accord", "confirmé", "confirme",
        "parfait", "volontiers", "bien sûr", "pas de problème",
    ),
    "it": (
        "sì", "ok", "okay", "va bene", "certo", "confermo", "confermato",
        "perfetto", "d'accordo", "volentieri", "nessun problema",
    ),
    "en": (
        "yes", "yep", "yeah", "ok", "okay", "confirmed", "confirm", "sure",
        "fine", "perfect", "of course", "no problem",
    ),
}

NO_WORDS: dict[str, tuple[str, ...]] = {
    "de": (
        "nein", "kann nicht", "leider nicht", "geht nicht", "passt nicht",
        "nicht möglich", "absagen", "absage", "abgesagt", "stornieren",
        "storniert",
    ),
    "gsw": ("nei", "chan nöd", "gaht nöd", "goht nöd", "passt nöd", "leider nöd"),
    "fr": (
        "non", "annuler", "annulé", "annule", "annulation", "pas possible",
        "impossible", "peux pas", "pas disponible",
    ),
    "it": (
        "no", "non posso", "impossibile", "disdire", "disdico", "annullare",
        "annullato", "annullo", "annulla",
    ),
    "en": (
        "no", "nope", "cancel", "cancelled", "canceled", "can't", "cannot",
        "can not", "not possible", "unable",
    ),
}

STOP_WORDS: dict[str, tuple[str, ...]] = {
    "de": ("stop", "stopp"),
    "fr": ("stop", "arrêt", "arrête", "arrêter", "arrêtez"),
    "it": ("stop",),
    "en": ("stop", "unsubscribe"),
}

# Negations. A yes next to one of them is UNCLEAR, because a word list
# cannot tell "ja, nicht vergessen" from "ja, ich komme nicht".
NEGATION_WORDS: dict[str, tuple[str, ...]] = {
    "de": ("nicht", "kein", "keine", "nie", "niemals"),
    "gsw": ("nöd", "nid", "ned"),
    "fr": ("pas", "ne", "jamais"),
    "en": ("not", "don't", "won't", "never", "isn't", "doesn't"),
}

# Words of a condition or a change request: "J aber 10 Min später".
CHANGE_WORDS: dict[str, tuple[str, ...]] = {
    "de": (
        "aber", "sondern", "jedoch", "allerdings", "später", "früher",
        "verschieben", "verschoben", "umbuchen", "lieber", "statt", "anstatt",
        "andere", "anderen", "anderer",
    ),
    "gsw": ("spöter", "früener"),
    "fr": (
        "mais", "sauf", "plutôt", "plus tard", "plus tôt", "décaler",
        "déplacer", "reporter", "changer",
    ),
    "it": (
        "ma", "però", "invece", "più tardi", "spostare", "posticipare",
        "anticipare", "cambiare",
    ),
    "en": (
        "but", "however", "except", "instead", "later", "earlier",
        "reschedule", "move", "change",
    ),
}

# Words that may stand next to a stop word without making it unclear.
STOP_COMPANION_WORDS = ("bitte", "please", "svp", "merci", "danke", "grazie", "thanks", "sms")

SINGLE_LETTERS = {"j": ReplyClass.YES, "y": ReplyClass.YES, "n": ReplyClass.NO}

# "si" is the Italian yes without its accent, but also French for "if"
# ("je viens si je peux"). It counts only in a reply of at most this many
# words.
AMBIGUOUS_YES_WORDS = frozenset({"si"})
MAX_WORDS_FOR_AMBIGUOUS_YES = 3

# Longer replies tend to carry a message that staff should read.
MAX_WORDS = 12

# Characters of markup (Rich, HTML, JSON) or of shell and terminal escapes,
# which no client types in a plain reply.
MARKUP_CHARS = frozenset("[]{}<>\\|`^~$")
# Format characters that emoji sequences use and that are therefore allowed.
ALLOWED_FORMAT_CHARS = frozenset("\u200c\u200d")

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})
_WORD_PATTERN = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


class _Kind(StrEnum):
    YES = "yes"
    NO = "no"
    STOP = "stop"
    NEGATION = "negation"
    CHANGE = "change"
    STOP_COMPANION = "stop companion"


@dataclass(frozen=True)
class _Term:
    kind: _Kind
    text: str
    """The word or phrase as written in the word list."""
    languages: tuple[str, ...]

    def describe(self) -> str:
        return f"'{self.text}' ({', '.join(self.languages)})"


def fold(text: str) -> str:
    """Fold case, accents and apostrophe variants, so that "ARRÊT" and "arret" compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_APOSTROPHES))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def split_words(text: str) -> list[str]:
    """Return the folded words of `text`, dropping punctuation, emoji and spaces."""
    return _WORD_PATTERN.findall(fold(text))


def _build_lexicon() -> dict[tuple[str, ...], _Term]:
    sources: list[tuple[_Kind, dict[str, tuple[str, ...]]]] = [
        (_Kind.YES, YES_WORDS),
        (_Kind.NO, NO_WORDS),
        (_Kind.STOP, STOP_WORDS),
        (_Kind.NEGATION, NEGATION_WORDS),
        (_Kind.CHANGE, CHANGE_WORDS),
        (_Kind.STOP_COMPANION, {"any": STOP_COMPANION_WORDS}),
    ]
    lexicon: dict[tuple[str, ...], _Term] = {}
    for kind, words_by_language in sources:
        for language, words in words_by_language.items():
            for word in words:
                key = tuple(split_words(word))
                known = lexicon.get(key)
                if known is None:
                    lexicon[key] = _Term(kind, word, (language,))
                elif known.kind is kind:
                    lexicon[key] = _Term(kind, known.text, (*known.languages, language))
                else:
                    raise ValueError(
                        f"word list entry {word!r} ({language}) is both {known.kind} and {kind}: "
                        "remove it from one of the lists"
                    )
    return lexicon


_LEXICON = _build_lexicon()
_MAX_PHRASE_WORDS = max(len(key) for key in _LEXICON)


def _find_terms(words: list[str]) -> list[_Term | None]:
    """Match `words` against the word lists, longest phrase first.

    Returns one entry per match, and None for each word that matched nothing.
    """
    found: list[_Term | None] = []
    position = 0
    while position < len(words):
        for length in range(min(_MAX_PHRASE_WORDS, len(words) - position), 0, -1):
            term = _LEXICON.get(tuple(words[position : position + length]))
            if term is not None:
                found.append(term)
                position += length
                break
        else:
            found.append(None)
            position += 1
    return found


def _has_markup_or_control(text: str) -> bool:
    for char in text:
        if char in MARKUP_CHARS:
            return True
        category = unicodedata.category(char)
        if category == "Cc" and char not in "\t\n\r":
            return True
        if category == "Cf" and char not in ALLOWED_FORMAT_CHARS:
            return True
    return False


def _unclear(rule: str) -> Classification:
    return Classification(ReplyClass.UNCLEAR, rule)


def classify_reply(text: str) -> Classification:
    """Classify an SMS reply, returning UNCLEAR for anything that is not certain.

    Accepts any string and never raises.
    """
    if not text.strip():
        return _unclear("empty reply")
    if _has_markup_or_control(text):
        return _unclear("markup or control characters")
    if "?" in text or "¿" in text:
        return _unclear("question mark")

    words = split_words(text)
    if not words:
        return _unclear("no words, only emoji, symbols or punctuation")
    if len(words) == 1 and len(words[0]) == 1:
        return _classify_single_letter(words[0])
    if len(words) > MAX_WORDS:
        return _unclear(f"long reply: {len(words)} words, more than {MAX_WORDS}")

    return _classify_words(words)


def _classify_single_letter(letter: str) -> Classification:
    reply_class = SINGLE_LETTERS.get(letter)
    if reply_class is not None:
        return Classification(reply_class, f"single letter {letter.upper()}")
    if letter == "s":
        # Could be the Italian "sì" as well as a cut-off "stop".
        return _unclear("single letter S, which may mean sì or stop")
    return _unclear(f"single letter {letter.upper()}, not J, Y or N")


def _classify_words(words: list[str]) -> Classification:
    terms = _find_terms(words)
    if len(words) > MAX_WORDS_FOR_AMBIGUOUS_YES:
        terms = [
            None if term is not None and fold(term.text) in AMBIGUOUS_YES_WORDS else term
            for term in terms
        ]

    def first(kind: _Kind) -> _Term | None:
        return next((term for term in terms if term is not None and term.kind is kind), None)

    yes, no, stop = first(_Kind.YES), first(_Kind.NO), first(_Kind.STOP)
    negation, change = first(_Kind.NEGATION), first(_Kind.CHANGE)

    # An opt-out must be certain: a stop word next to anything but a few
    # polite words goes to staff, and a stop is never read as a "no".
    if stop is not None:
        allowed = {_Kind.STOP, _Kind.STOP_COMPANION}
        if all(term is not None and term.kind in allowed for term in terms):
            return Classification(ReplyClass.STOP, f"stop word {stop.describe()}")
        return _unclear(f"stop word {stop.describe()} with other words")

    if yes is not None and no is not None:
        return _unclear(f"mixed yes and no words: {yes.describe()} and {no.describe()}")
    if no is not None:
        return Classification(ReplyClass.NO, f"no word {no.describe()}")

    # NOTE: words outside the lists are ignored, so "Ja, rufen Sie mich an"
    # counts as yes. Only the change, negation and number checks below
    # catch a yes that carries another request.
    if yes is not None:
        if change is not None:
            return _unclear(f"yes word with change request word {change.describe()}")
        if negation is not None:
            return _unclear(f"yes word with negation {negation.describe()}")
        if any(char.isdigit() for word in words for char in word):
            return _unclear("yes word with a number, possibly a new time")
        return Classification(ReplyClass.YES, f"yes word {yes.describe()}")

    if change is not None:
        return _unclear(f"change request word {change.describe()}")
    return _unclear("no known word")
