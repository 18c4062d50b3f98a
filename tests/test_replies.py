import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from smsconfirm_tui.domain.replies import (
    CHANGE_WORDS,
    NEGATION_WORDS,
    NO_WORDS,
    STOP_WORDS,
    YES_WORDS,
    Classification,
    ReplyClass,
    classify_reply,
    fold,
)

YES, NO, STOP, UNCLEAR = ReplyClass.YES, ReplyClass.NO, ReplyClass.STOP, ReplyClass.UNCLEAR

CASES = [
    # German and Swiss German
    ("J", YES),
    ("j", YES),
    ("Ja", YES),
    ("ja gerne", YES),
    ("Ja gerne!", YES),
    ("JA.", YES),
    (" ja \n", YES),
    ("Bestätigt", YES),
    ("ok", YES),
    ("Passt, danke", YES),
    ("Gerne, bis dann. LG Anna", YES),
    ("Kein Problem", YES),
    ("Jo gärn", YES),
    ("N", NO),
    ("n", NO),
    ("Nein", NO),
    ("Nein.", NO),
    ("NEIN!", NO),
    ("kann nicht", NO),
    ("Ich kann leider nicht kommen", NO),
    ("Geht nicht", NO),
    ("Ich muss absagen", NO),
    ("Termin abgesagt", NO),
    ("Nein danke", NO),
    ("nei, chan nöd", NO),
    ("STOP", STOP),
    ("Stop", STOP),
    ("stopp", STOP),
    ("STOP!", STOP),
    ("Stop bitte", STOP),
    ("Ja?", UNCLEAR),
    ("J?", UNCLEAR),
    ("Kann ich auf 15 Uhr verschieben?", UNCLEAR),
    ("Ja, nein doch nicht", UNCLEAR),
    ("J aber 10 Min später", UNCLEAR),
    ("ja, aber erst um 15 Uhr", UNCLEAR),
    ("Ja, 14:30 wäre besser", UNCLEAR),
    ("Ja, ich komme nicht", UNCLEAR),
    ("Ja gerne, lieber später", UNCLEAR),
    ("Stop, ich komme nicht", UNCLEAR),
    ("Nein stop", UNCLEAR),
    ("Hallo", UNCLEAR),
    ("Doch", UNCLEAR),
    # French
    ("oui", YES),
    ("Oui!", YES),
    ("Oui merci", YES),
    ("D’accord", YES),
    ("d'accord, à mardi", YES),
    ("Confirmé", YES),
    ("non", NO),
    ("Non merci", NO),
    ("Je dois annuler", NO),
    ("Rendez-vous annulé", NO),
    ("Pas possible", NO),
    ("Je ne peux pas", NO),
    ("Arrêt", STOP),
    ("ARRET", STOP),
    ("Arrête", STOP),
    ("arret!", STOP),
    ("Non.", NO),
    ("NON", NO),
    ("Oui ?", UNCLEAR),
    ("Oui mais plus tard", UNCLEAR),
    ("Je viens si je peux", UNCLEAR),
    ("Oui, je ne viens pas", UNCLEAR),
    # Italian
    ("si", YES),
    ("sì", YES),
    ("Sì grazie", YES),
    ("Va bene", YES),
    ("Certo, a presto", YES),
    ("Confermo", YES),
    ("no", NO),
    ("No grazie", NO),
    ("Impossibile", NO),
    ("Devo disdire", NO),
    ("Non posso", NO),
    ("Annulla", NO),
    ("SI", YES),
    ("Sì, grazie!", YES),
    ("Stop", STOP),
    ("Sì ma più tardi", UNCLEAR),
    ("S", UNCLEAR),
    # English
    ("Y", YES),
    ("Yes.", YES),
    ("okay", YES),
    ("Confirmed, thanks", YES),
    ("No problem", YES),
    ("Sure, see you then", YES),
    ("Nope", NO),
    ("I can't", NO),
    ("Can’t make it, sorry", NO),
    ("Please cancel", NO),
    ("Yes but later", UNCLEAR),
    ("Yes, I will not be there", UNCLEAR),
    ("Unsubscribe", STOP),
    ("STOP SMS", STOP),
    ("No!", NO),
    ("Yes please", YES),
    # Homoglyph: a Cyrillic "а" in "ja" is no German word.
    ("j\u0430", UNCLEAR),
    # No words, markup, length
    ("", UNCLEAR),
    ("   \n", UNCLEAR),
    ("👍", UNCLEAR),
    ("👍👍", UNCLEAR),
    ("!!!", UNCLEAR),
    ("[bold]ja[/bold]", UNCLEAR),
    ("[@click=app.quit]ja[/]", UNCLEAR),
    ("\x1b[31mja", UNCLEAR),
    ("<b>ja</b>", UNCLEAR),
    ("{0} ja", UNCLEAR),
    ("ja\u202e", UNCLEAR),
    ("Ja gerne, ich komme sehr gerne und freue mich schon sehr auf den Termin bei euch", UNCLEAR),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_reply_cases(text, expected):
    result = classify_reply(text)
    assert result.reply_class is expected, result.rule


def test_rules_name_reason():
    assert classify_reply("J").rule == "single letter J"
    assert classify_reply("Ja gerne").rule == "yes word 'ja' (de)"
    assert classify_reply("gerne").rule == "yes word 'gerne' (de)"
    assert classify_reply("no").rule == "no word 'no' (it, en)"
    assert classify_reply("Ja?").rule == "question mark"
    assert classify_reply("Hallo").rule == "no known word"
    assert classify_reply("Ja, nein").rule.startswith("mixed yes and no words")


def test_stop_never_no():
    for text in ("STOP", "Stopp", "arrêt"):
        assert classify_reply(text).reply_class is STOP
    for text in ("no", "N", "nein", "non"):
        assert classify_reply(text).reply_class is NO


def test_single_letter_only_alone():
    assert classify_reply("J").reply_class is YES
    assert classify_reply("J danke").reply_class is UNCLEAR
    assert classify_reply("n.").reply_class is NO
    assert classify_reply("n n").reply_class is UNCLEAR


def test_emoji_with_yes_word():
    assert classify_reply("Ja 👍").reply_class is YES
    assert classify_reply("J 👍🏽").reply_class is YES


def test_word_lists_cover_languages():
    for words in (YES_WORDS, NO_WORDS, STOP_WORDS):
        assert {"de", "fr", "it", "en"} <= set(words)
    assert NEGATION_WORDS
    assert CHANGE_WORDS


def test_every_list_word_matches():
    for words_by_language, expected in ((YES_WORDS, YES), (NO_WORDS, NO), (STOP_WORDS, STOP)):
        for words in words_by_language.values():
            for word in words:
                assert classify_reply(word).reply_class is expected, word


@given(st.text(max_size=300))
def test_any_text_one_class(text):
    result = classify_reply(text)
    assert isinstance(result, Classification)
    assert result.reply_class in set(ReplyClass)
    assert result.rule


mix_words = st.lists(
    st.sampled_from(["ja", "Nein", "stop", "aber", "J", "N", "👍", "15", "danke", "?", "["]),
    max_size=8,
).map(" ".join)


@given(mix_words)
def test_word_mixes_safe(text):
    result = classify_reply(text)
    words = text.split()
    if "?" in words or "[" in words:
        assert result.reply_class is UNCLEAR
    if "ja" in words and "Nein" in words:
        assert result.reply_class is UNCLEAR
    if "stop" in words and set(words) - {"stop", "danke", "👍"}:
        assert result.reply_class is UNCLEAR
    if result.reply_class is YES and len(words) > 1:
        assert "aber" not in words
        assert "15" not in words


# Replies that must read as their class with any case, surrounding spaces
# and trailing punctuation.
ISSUE_TABLE = {
    YES: ("J", "j", "Ja", "ja gerne", "Ja gerne!", "JA.", " ja \n", "Yes.", "oui", "Oui!", "si", "sì"),
    NO: ("N", "n", "Nein", "Nein.", "NEIN!", "non", "no", "kann nicht"),
    STOP: ("STOP", "Stop", "stopp", "STOP!", "Arrêt", "ARRET"),
}


@pytest.mark.parametrize(("expected", "text"), [(cls, text) for cls, texts in ISSUE_TABLE.items() for text in texts])
def test_issue_table(expected, text):
    assert classify_reply(text).reply_class is expected


@given(
    st.sampled_from([(cls, text) for cls, texts in ISSUE_TABLE.items() for text in texts]),
    st.sampled_from([str.upper, str.lower, str.title, str.strip]),
    st.text(alphabet=" \t\n", max_size=3),
    st.text(alphabet=" .!,\n", max_size=3),
)
def test_issue_table_folding(case, change, before, after):
    expected, text = case
    assert classify_reply(before + change(text) + after).reply_class is expected


@given(st.text(max_size=40), st.sampled_from(["J", "Ja", "oui", "N", "n", "nein", "non", "no"]))
def test_no_stop_without_stop_word(prefix, word):
    folded = fold(prefix)
    assume(not any(stop in folded for stop in ("stop", "arret", "unsubscribe")))
    assert classify_reply(f"{prefix} {word}").reply_class is not STOP
