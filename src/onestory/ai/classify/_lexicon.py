"""Hand-written word lists for the always-available rule-based sentiment and emotion models.

Written for OneStory (not taken from any published lexicon). Valences run from -3 (very
negative) to +3 (very positive) and are tuned for customer-service messages: "refund" or
"cancel" are not negative by themselves, "still waiting" and "third time" are. Mostly English,
with the commonest words of German, French, Spanish, Dutch and Italian customer messages.
"""

from __future__ import annotations

import re


def _scored(spec: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for chunk in spec.split(";"):
        chunk = chunk.strip()
        if not chunk:
            continue
        value, words = chunk.split(":", 1)
        for word in words.split():
            out[word.replace("_", " ")] = float(value)
    return out


VALENCE: dict[str, float] = _scored(
    """
    3: excellent amazing fantastic brilliant perfect outstanding superb awesome wonderful
       love loved loving lovely exceptional flawless delighted thrilled best incredible
       genial fantastisch hervorragend ausgezeichnet parfait génial excelente perfecto
       geweldig uitstekend perfetto fantastico magnifique;
    2: great good nice happy pleased helpful friendly quick fast easy glad thanks thank
       thankful grateful appreciate appreciated recommend smooth impressed enjoy enjoyed
       resolved solved fixed works working reliable satisfied gut super toll danke merci
       bien bon bueno gracias bedankt goed grazie bravo cool welcome kind polite efficient;
    1: ok okay fine fair decent better improved quickly sure yes agree happier reasonable
       correct clear;
    -1: slow confusing confused unclear odd strange wrong unfortunately sadly problem issue
        issues difficult hard expensive pricey late delay delayed missing waiting wait
        error bug glitch doubt worried concerned unsure lost stuck sorry;
    -2: bad poor annoying annoyed frustrating frustrated disappointed disappointing
        unhappy upset broken fails failed failing failure faulty defective useless rude
        unacceptable unprofessional incompetent complain complaint overcharged ridiculous
        nightmare mess angry mad sad afraid scared anxious crashes crashing crashed
        damaged cracked ignored misleading hate hated shame waste annoys
        schlecht enttäuscht ärgerlich mauvais nul déçu malo terrible decepcionado
        slecht teleurgesteld pessimo deluso;
    -3: worst horrible awful terrible disgusting disgusted furious outrageous appalling
        pathetic scam fraud lied liars lying theft stolen shocking disgrace hopeless
        livid unbelievable scandal scandalous katastrophe catastrophe desastre
    """
)

# Phrases checked on the lower-cased text before word scoring.
PHRASES: dict[str, float] = {
    "still waiting": -2.0,
    "still not": -1.5,
    "still no": -1.5,
    "no answer": -1.5,
    "no response": -1.5,
    "no one": -1.0,
    "nobody": -1.0,
    "third time": -2.0,
    "fourth time": -2.5,
    "again and again": -2.0,
    "waste of time": -2.5,
    "waste of money": -2.5,
    "not working": -2.0,
    "doesn't work": -2.0,
    "does not work": -2.0,
    "didn't work": -2.0,
    "never arrived": -2.0,
    "fed up": -2.5,
    "had enough": -2.0,
    "sick of": -2.5,
    "sick and tired": -3.0,
    "let down": -2.0,
    "rip off": -3.0,
    "rip-off": -3.0,
    "on hold for": -1.5,
    "doesn't make sense": -1.0,
    "does not make sense": -1.0,
    "thank you": 2.0,
    "thanks a lot": 2.5,
    "well done": 2.5,
    "works now": 2.0,
    "all sorted": 2.0,
    "great job": 3.0,
    "vielen dank": 2.5,
    "merci beaucoup": 2.5,
    "muchas gracias": 2.5,
}

EMOJI_VALENCE: dict[str, float] = {
    **dict.fromkeys("😀😃😄😁😊🙂😍🥰😘👍👏🙏💯🎉❤💖💕✨🤩😎🥳", 2.0),
    **dict.fromkeys("😂🤣😅😉", 1.0),
    **dict.fromkeys("😐😑🤔🙄😬", -0.5),
    **dict.fromkeys("😕🙁☹😟😞😔😢😥😓👎💔😩😫😭", -2.0),
    **dict.fromkeys("😠😡🤬💢🤮😤", -3.0),
}

NEGATORS = frozenset(
    "not no never none nothing neither nor cannot cant dont doesnt didnt isnt wasnt wont "
    "wouldnt couldnt shouldnt hardly barely nicht kein keine pas jamais no nunca niet geen "
    "non".split()
)
INTENSIFIERS: dict[str, float] = {
    **dict.fromkeys(
        "very really so extremely absolutely totally completely utterly incredibly "
        "truly super highly seriously sehr très muy zeer molto".split(),
        1.5,
    ),
    **dict.fromkeys("quite pretty rather".split(), 1.2),
    **dict.fromkeys("slightly somewhat little bit kinda".split(), 0.6),
}
CONTRAST = frozenset({"but", "however", "although", "though", "aber", "mais", "pero", "maar"})


def _cues(words: str, phrases: str = "") -> frozenset[str]:
    """Space-separated single words plus ``|``-separated phrases."""
    return frozenset(words.split()) | frozenset(p for p in phrases.split("|") if p)


#: Cue words and phrases per emotion (the rule-based emotion model's vocabulary).
EMOTION_CUES: dict[str, frozenset[str]] = {
    "anger": _cues(
        "furious angry livid outraged outrageous disgusting disgusted unacceptable scam fraud "
        "liars lied lying rip-off hate hatred appalling disgrace pathetic incompetent useless "
        "wütend furieux enfadado furioso boos 😠 😡 🤬 💢 🤮",
        "fed up|sick and tired|rip off|how dare|report you|sue you",
    ),
    "annoyance": _cues(
        "annoying annoyed annoys irritating irritated frustrating frustrated ridiculous "
        "seriously again ugh sigh tired nonsense joke slow ärgerlich genervt agaçant molesto "
        "irritant 🙄 😤 😒",
        "still waiting|third time|fourth time|once again|had enough|waste of time|"
        "no answer|no response|on hold|sick of",
    ),
    "sadness": _cues(
        "sad unhappy disappointed disappointing heartbroken depressed upset sorry "
        "unfortunately miss lost crying devastated hopeless enttäuscht traurig triste déçu "
        "decepcionado teleurgesteld 😢 😭 😞 😔 ☹ 🙁 💔 😥",
        "let down|gave up",
    ),
    "fear": _cues(
        "afraid scared worried worry anxious nervous concerned panic fraud hacked stolen "
        "unsafe frightened terrified risk suspicious besorgt inquiet preocupado bang 😨 😰 😱 😟",
        "identity theft|someone else|not authorised|not authorized",
    ),
    "confusion": _cues(
        "confused confusing unclear strange odd weird puzzled lost misunderstanding verwirrt "
        "comprends entiendo snap 🤔 😕",
        "doesn't make sense|does not make sense|don't understand|do not understand|"
        "not sure|no idea|what does|how come",
    ),
    "joy": _cues(
        "happy glad great excellent amazing fantastic love loved wonderful perfect delighted "
        "thrilled awesome brilliant pleased yay enjoy enjoyed super toll génial genial "
        "geweldig 😀 😃 😄 😁 😊 🙂 😍 🥰 🎉 🤩 🥳 ❤"
    ),
    "gratitude": _cues(
        "thanks thank thx ty grateful appreciate appreciated cheers danke merci gracias "
        "bedankt grazie 🙏",
        "thank you|many thanks|much appreciated",
    ),
}

WORD_RE = re.compile(r"[^\W\d_]+(?:['\u2019-][^\W\d_]+)*|[\U0001F300-\U0001FAFF\u2600-\u27BF]")
