"""Person names and street addresses, found offline by the words around them.

Names are only taken where the text says it is a name: an introduction ("my name is"), a
salutation ("Hi John,"), an honorific ("Mrs Patel") or a signature line after a closing
("Kind regards,\\nAnna Schmidt"). Addresses need a house number next to a street word, or a
postcode in a recognised national format. Every repetition is bounded, so matching is linear.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from onestory.ai.extract._pii_ids import Hit

# Latin-1 capitals and lower case, plus Latin Extended-A (both cases, e.g. "Łukasz").
_UP = "A-ZÀ-ÖØ-Þ\u0100-\u017f"
_LO = "a-zß-öø-ÿ\u0100-\u017f"
# One capitalised name word: "Anna", "O'Brien", "Jean-Luc", "McDonald", "Müller".
_WORD = rf"[{_UP}][{_LO}]{{0,30}}(?:[{_UP}][{_LO}]{{1,30}})?(?:['\u2019\-][{_UP}]?[{_LO}]{{1,30}})?"
_PARTICLE = r"(?:van|von|de|der|den|da|di|du|del|della|la|le|bin|ter|zu)"
_NAME = rf"{_WORD}(?:[ \t]{_PARTICLE}){{0,2}}(?:[ \t]{_WORD}){{0,2}}"
_HONORIFIC = (
    r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Herr|Frau|Monsieur|Madame|Mademoiselle|Mme|Mlle|M\.|"
    r"Señor|Señora|Señorita|Sr|Sra|Srta|Signor|Signora|Sig|Dhr|Mevr|Herrn)"
)

_STOP = frozenset(
    """i the a an and but or so not very really just still here there team support customer
    customers service services sir madam all everyone again thanks thank hello hi hey please
    sorry ok okay yes no writing calling contacting happy sad angry frustrated done fine good
    great from with about regarding re dear to for on at in of my your our we you they it this
    that today tomorrow yesterday monday tuesday wednesday thursday friday saturday sunday
    january february march april may june july august september october november december
    english french german spanish italian dutch american british back home glad sure afraid
    unable trying looking waiting still also now new customer-service helpdesk billing sales
    admin manager supervisor guys folks friends there's everybody somebody anyone colleagues
    kunde kundin kundenservice kundendienst team-leader bonjour merci danke gracias grazie
    order account ticket invoice refund delivery shipping technician engineer agent bot
    mister missus dringend urgent important amazing terrible awful disappointed confused
    herr frau monsieur madame señor señora signor signora hallo hola ciao salut it's i'm
    that's here's there's let's c'est grüße grüsse gruß grüß regards wishes greetings groeten
    saludos saluti cordialement nobody help""".split()
) | {"it\u2019s", "i\u2019m", "c\u2019est"}
_PARTICLES = frozenset("van von de der den da di du del della la le bin ter zu".split())

_INTRO_STRONG = (
    r"(?i:my name is|my name's|name's|name is|ich heiße|ich heisse|mein name ist|je m'appelle|"
    r"je m\u2019appelle|mon nom est|me llamo|mi nombre es|mi chiamo|il mio nome è|mijn naam is|"
    r"ik heet|call me)"
)
_INTRO_WEAK = (
    r"(?i:this is|i am|i'm|i\u2019m|it's|ich bin|je suis|soy|sono|ik ben|c'est|c\u2019est|"
    r"hier ist|hier spricht|aquí|qui è|ici)"
)
_GREETING = (
    r"(?i:hi|hello|hey|dear|hallo|liebe|lieber|guten tag|guten morgen|bonjour|bonsoir|salut|"
    r"cher|chère|hola|buenos días|buenas tardes|estimado|estimada|ciao|gentile|buongiorno|"
    r"beste|goedemorgen|goedemiddag|good morning|good afternoon|good evening)"
)
_THANKS = (
    r"(?i:thanks|thank you|thx|cheers|danke|merci|gracias|grazie|bedankt)"
    r"(?:[ \t](?i:so much|very much|a lot|again))?"
)
_RELATION = (
    r"(?i:(?:my|our|your)[ \t](?:wife|husband|partner|son|daughter|mother|father|mum|mom|dad|"
    r"brother|sister|colleague|friend|neighbour|neighbor|landlord|landlady|tenant|boss|"
    r"manager|assistant)|colleague|spoke to|spoke with|talked to|talked with|speak to|"
    r"speaking to|speaking with|ask for|asked for|tell|meine frau|mein mann|mein sohn|"
    r"meine tochter|ma femme|mon mari|mi esposa|mi marido|mia moglie|mio marito)"
)
_CLOSING = (
    r"(?i:thanks|thank you|many thanks|thanks again|best|best wishes|best regards|kind regards|"
    r"regards|warm regards|cheers|sincerely|yours sincerely|yours faithfully|yours truly|br|"
    r"mit freundlichen grüßen|mit freundlichen grüssen|freundliche grüße|mfg|viele grüße|"
    r"liebe grüße|lg|gruß|grüße|cordialement|bien cordialement|bien à vous|salutations|"
    r"saludos|un saludo|atentamente|cordiali saluti|saluti|distinti saluti|"
    r"met vriendelijke groet|groeten|take care|warmly|all my best|all the best|"
    r"thanks in advance|herzliche grüße|mit besten grüßen|beste grüße|schöne grüße|"
    r"merci beaucoup|merci d'avance|saludos cordiales|un abrazo|bedankt|talk soon|speak soon|"
    r"kind wishes|warm wishes|with thanks|respectfully|--)"
)

_G_STRONG = (
    "name", "hei", "appelle", "nom ", "llamo", "nombre", "chiamo", "naam", "heet", "call me",
)  # fmt: skip
_G_WEAK = (
    "this is", "i am", "i'm", "i\u2019m", "it's", "ich bin", "je suis", "soy", "sono", "ik ben",
    "c'est", "c\u2019est", "hier ist", "hier spricht", "aquí", "qui è", "ici",
)  # fmt: skip
_G_GREETING = (
    "hi", "hello", "hey", "dear", "hallo", "liebe", "guten", "bonjour", "bonsoir", "salut", "cher",
    "chère", "hola", "buenos", "buenas", "estimad", "ciao", "gentile", "buongiorno", "beste",
    "goede", "good",
)  # fmt: skip
_G_HONORIFIC = (
    "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "herr", "frau", "monsieur", "madame", "mme",
    "mlle", "m.", "señor", "señora", "sr", "signor", "sig", "dhr", "mevr",
)  # fmt: skip
_G_THANKS = ("thank", "thx", "cheers", "danke", "merci", "gracias", "grazie", "bedankt")
_G_CLOSING = (
    "thank", "best", "regard", "cheers", "sincerely", "yours", "br", "grü", "grus", "gruß", "mfg",
    "lg", "cordial", "bien", "salut", "saludo", "atentamente", "saluti", "groet", "--", "care",
    "warm", "soon", "merci", "abrazo", "bedankt", "wishes", "respectfully", "advance",
)  # fmt: skip
_G_RELATION = (
    "my ", "our ", "your ", "colleague", "spoke", "talked", "speak", "ask", "tell", "mein",
    "ma femme", "mon mari", "mi esposa", "mi marido", "mia moglie", "mio marito",
)  # fmt: skip

# (pattern with group "n", confidence, lower-case words one of which the text must contain)
# Patterns that can only start a line or a sentence are tried at those positions alone
# (``anchor``), which is several times cheaper than letting the engine try every position.
_NAME_PATTERNS: tuple[tuple[re.Pattern[str], float, tuple[str, ...], str], ...] = (
    (re.compile(rf"\b{_INTRO_STRONG}[ \t]{{1,3}}(?:{_HONORIFIC}[ \t]{{1,3}})?(?P<n>{_NAME})"), 0.9,
     _G_STRONG, ""),
    (re.compile(rf"(?<![\w'\u2019]){_INTRO_WEAK}[ \t]{{1,3}}(?P<n>{_NAME})"
                rf"(?=[ \t]{{0,3}}(?:[,.!\n]|$|"
                rf"(?i:from|with|at|here|calling|speaking|von|de|)\b))"), 0.7, _G_WEAK, ""),
    (re.compile(rf"[ \t]{{0,8}}{_GREETING}[ \t]{{1,3}}(?:{_HONORIFIC}[ \t]{{1,3}})?"
                rf"(?P<n>{_NAME})(?=[ \t]{{0,3}}(?:[,!:\n]|$))"), 0.85, _G_GREETING, "line"),
    (re.compile(rf"[ \t]{{0,8}}(?:{_GREETING}[ \t,!]{{1,3}})?(?P<n>{_NAME})[ \t]here\b"
                rf"(?![ \t]{{0,3}}(?i:is|are|was|were|in|at|to|and)\b)"), 0.7, (" here",), "line"),
    (re.compile(rf"\b{_THANKS}[ \t,]{{1,3}}(?P<n>{_NAME})(?=[ \t]{{0,3}}(?:[,!.\n]|$))"), 0.6,
     _G_THANKS, ""),
    (re.compile(rf"(?<![\w]){_HONORIFIC}\.?[ \t]{{1,3}}(?P<n>{_NAME})"), 0.85, _G_HONORIFIC, ""),
    (re.compile(rf"(?<![\w]){_RELATION}[ \t,]{{1,3}}(?P<n>{_NAME})"), 0.7, _G_RELATION, ""),
    # Introductions typed in lower case: "my name is emma stone".
    (re.compile(rf"\b{_INTRO_STRONG}[ \t]{{1,3}}(?P<n>[{_LO}]{{2,30}}(?:[ \t][{_LO}]{{2,30}})?)"
                rf"(?=[ \t]{{0,3}}(?:[,.!\n]|$|(?:and|und|et|y|e|en)\b))"), 0.6, _G_STRONG, ""),
    (re.compile(rf"[ \t]{{0,8}}{_CLOSING}[ \t]{{0,3}}[,.!]?[ \t]{{0,3}}\n"
                rf"[ \t]{{0,8}}(?:{_HONORIFIC}\.?[ \t]{{1,3}})?(?P<n>{_NAME})[ \t]{{0,3}}(?=\n|$)"),
     0.85, _G_CLOSING, "sentence"),
    (re.compile(rf"[ \t]{{0,8}}{_CLOSING}[ \t]{{0,3}},[ \t]{{1,3}}(?P<n>{_NAME})"
                rf"[ \t]{{0,3}}[.!]?[ \t]{{0,3}}$"), 0.8, _G_CLOSING, "sentence_no_q"),
)  # fmt: skip

_TOKEN = re.compile(r"\S+")


def _trim_name(text: str, start: int, end: int) -> tuple[int, int] | None:
    """Drop capitalised stop words at either end ("Anna And" -> "Anna")."""
    tokens = [(m.start() + start, m.end() + start) for m in _TOKEN.finditer(text[start:end])]
    while tokens and text[tokens[-1][0] : tokens[-1][1]].lower() in _STOP | _PARTICLES:
        tokens.pop()
    while tokens and text[tokens[0][0] : tokens[0][1]].lower() in _STOP:
        tokens.pop(0)
    if not tokens:
        return None
    return tokens[0][0], tokens[-1][1]


_SIGNATURE_LINE = re.compile(
    rf"[ \t]{{0,8}}(?:{_HONORIFIC}\.?[ \t]{{1,3}})?(?P<n>{_NAME})[ \t]{{0,3}}[.!]?[ \t]{{0,3}}"
)


def _signature(text: str, lower: str) -> Hit | None:
    """A name alone on the last line, after a short closing line ("Take care,\nBen")."""
    body = text.rstrip()
    cut = body.rfind("\n")
    if cut <= 0 or len(body) - cut > 60:
        return None
    m = _SIGNATURE_LINE.fullmatch(body, cut + 1)
    if m is None:
        return None
    prev_end = cut
    prev_start = body.rfind("\n", 0, prev_end) + 1
    previous = lower[prev_start:prev_end].strip()
    if not previous or len(previous) > 40:
        return None
    if not (previous.endswith((",", "!")) or any(w in previous for w in _G_CLOSING)):
        return None
    span = _trim_name(text, m.start("n"), m.end("n"))
    return Hit(span[0], span[1], "person", 0.7) if span else None


_ANCHORS = {
    "line": re.compile(r"\n"),
    "sentence": re.compile(r"[\n.!?]"),
    "sentence_no_q": re.compile(r"[\n.!]"),
}


def _anchored(pattern: re.Pattern[str], anchor: str, text: str) -> Iterator[re.Match[str]]:
    if not anchor:
        yield from pattern.finditer(text)
        return
    starts = [0, *(boundary.end() for boundary in _ANCHORS[anchor].finditer(text))]
    for start in starts:
        found = pattern.match(text, start)
        if found is not None:
            yield found


def _gate_regex(words: tuple[str, ...]) -> re.Pattern[str] | None:
    """One compiled search for "any of these words occurs" (a C-level scan, not a loop)."""
    return re.compile("|".join(map(re.escape, words))) if words else None


_NAME_GATES = tuple(_gate_regex(gate) for _, _, gate, _ in _NAME_PATTERNS)


def find_names(text: str) -> Iterator[Hit]:
    lower = text.lower()
    signature = _signature(text, lower)
    if signature is not None:
        yield signature
    for (pattern, confidence, _, anchor), gate in zip(_NAME_PATTERNS, _NAME_GATES, strict=True):
        if gate is not None and gate.search(lower) is None:
            continue
        for m in _anchored(pattern, anchor, text):
            span = _trim_name(text, m.start("n"), m.end("n"))
            if span is None:
                continue
            yield Hit(span[0], span[1], "person", confidence)


# --- addresses -------------------------------------------------------------------------------

_CAP = rf"[{_UP}][{_LO}A-Z'\u2019\-]{{0,30}}"
_UK_POSTCODE = r"(?:[A-Z]{1,2}\d[A-Z\d]?[ ]\d[A-Z]{2})"
_US_STATES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|"
    "NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|DC"
)
_CITY_TAIL = (
    rf"(?:,?[ \t]{{0,3}}(?:{_CAP}[ \t]){{0,2}}{_CAP},?[ \t]{{1,3}}(?:(?:{_US_STATES})[ \t]{{1,3}}"
    rf"\d{{5}}(?:-\d{{4}})?|{_UK_POSTCODE})"
    rf"|,[ \t]{{0,3}}{_UK_POSTCODE}|,?[ \t]{{0,3}}(?:{_US_STATES})[ \t]{{1,3}}\d{{5}}(?:-\d{{4}})?"
    rf"|,[ \t]{{0,3}}(?:{_CAP}[ \t]){{0,2}}{_CAP}(?=[ \t]{{0,3}}(?:[.\n]|$)))"
)
_EN_SUFFIX = (
    r"(?i:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|"
    r"terrace|close|crescent|gardens|grove|square|sq|parkway|pkwy|highway|hwy|circle|mews|row|"
    r"hill|walk|green|loop|plaza|alley|trail|pike|heights)"
)
_EU_POST_CITY = rf"(?:,?[ \t]{{0,3}}(?:[A-Z]-)?\d{{4,5}}[ \t]{{1,3}}{_CAP}(?:[ \t\-]{_CAP}){{0,2}})"
_DE_STREET_WORD = r"(?:straße|strasse|str\.|weg|platz|allee|gasse|ring|damm|ufer|chaussee|pfad)"

_NL_STREET_WORD = r"(?:straat|gracht|laan|plein|kade|singel|dijk|dreef|steeg|hof|weg|pad)"
_NL_POST_CITY = (
    rf"(?:,?[ \t]{{0,3}}\d{{4}}[ \t]?[A-Z]{{2}}[ \t]{{1,3}}{_CAP}(?:[ \t\-]{_CAP}){{0,2}})"
)
_G_NL = ("straat", "gracht", "laan", "plein", "kade", "singel", "dijk", "dreef", "steeg", "hof")
_G_DE = ("str", "weg", "platz", "allee", "gasse", "ring", "damm", "ufer", "chaussee", "pfad")
_G_FR = (
    "rue", "av", "bd", "boulevard", "place", "impasse", "allée", "allee", "chemin", "quai",
    "route", "cours", "passage",
)  # fmt: skip
_G_ES_IT = (
    "calle", "c/", "avenida", "avda", "plaza", "paseo", "via", "viale", "piazza", "corso", "largo",
)  # fmt: skip

# (pattern, confidence, lower-case words one of which the text must contain)
_ADDRESS_PATTERNS: tuple[tuple[re.Pattern[str], float, tuple[str, ...]], ...] = (
    # US / UK: "Flat 3, 221B Baker Street, London NW1 6XE", "1600 Pennsylvania Ave NW, ..."
    (re.compile(rf"(?<![\w])(?:(?i:flat|apartment|apt|unit|suite)\.?[ \t]{{1,3}}\w{{1,5}},?"
                rf"[ \t]{{1,3}})?"
                rf"\d{{1,5}}[A-Za-z]?,?[ \t]{{1,3}}(?:{_CAP}[ \t]{{1,3}}){{1,4}}{_EN_SUFFIX}\b\.?"
                rf"(?:[ \t](?:NW|NE|SW|SE|N|S|E|W)\b)?"
                rf"(?:,?[ \t]{{1,3}}(?i:apt|apartment|suite|ste|unit|flat)\.?[ \t]{{0,3}}"
                rf"#?\w{{1,6}})?"
                rf"{_CITY_TAIL}?"), 0.85, ()),
    # DE / AT / CH: "Hauptstraße 5", "Berliner Str. 12a, 10115 Berlin"
    (re.compile(rf"(?<![\w])(?:{_CAP}[ \t\-]){{0,2}}[{_UP}][{_LO}]{{1,30}}{_DE_STREET_WORD}"
                rf"[ \t]{{1,3}}\d{{1,4}}[ \t]?[a-z]?\b{_EU_POST_CITY}?"), 0.85, _G_DE),
    (re.compile(rf"(?<![\w])(?:{_CAP}[ \t]){{1,3}}(?:Straße|Strasse|Str\.|Weg|Platz|Allee|Gasse|"
                rf"Ring|Damm)[ \t]{{1,3}}\d{{1,4}}[ \t]?[a-z]?\b{_EU_POST_CITY}?"), 0.85, _G_DE),
    # NL: "Prinsengracht 263, 1016 GV Amsterdam"
    (re.compile(rf"(?<![\w])(?:{_CAP}[ \t\-]){{0,2}}[{_UP}][{_LO}]{{1,30}}{_NL_STREET_WORD}"
                rf"[ \t]{{1,3}}\d{{1,4}}(?:[ \t]?[a-zA-Z])?(?:-\w{{1,4}})?\b{_NL_POST_CITY}"),
     0.85, ()),
    (re.compile(rf"(?<![\w])(?:{_CAP}[ \t\-]){{0,2}}[{_UP}][{_LO}]{{1,30}}{_NL_STREET_WORD}"
                rf"[ \t]{{1,3}}\d{{1,4}}(?:[ \t]?[a-zA-Z])?\b"), 0.8, _G_NL),
    # FR / BE: "12 bis, rue de la Paix, 75002 Paris"
    (re.compile(rf"(?<![\w])\d{{1,4}}(?:[ \t]?(?:bis|ter))?,?[ \t]{{1,3}}(?i:rue|avenue|av\.|"
                rf"boulevard|bd|place|impasse|allée|allee|chemin|quai|route|cours|passage)"
                rf"[ \t]{{1,3}}"
                rf"(?:(?:de la|de l'|de|du|des|d'|d\u2019|l'|la|le|les)[ \t]{{0,3}})?{_CAP}"
                rf"(?:[ \t\-](?:(?:de|du|des|la|le|d'|l')[ \t]{{1,3}})?{_CAP}){{0,4}}"
                rf"{_EU_POST_CITY}?"), 0.85, _G_FR),
    # ES / IT: "Calle Mayor 5, 28013 Madrid", "Via Roma 12"
    (re.compile(rf"(?<![\w])(?:Calle|C/|Avenida|Avda\.|Plaza|Paseo|Via|Viale|Piazza|Corso|Largo)"
                rf"[ \t]{{1,3}}(?:(?:de la|del|de|dei|della|delle|di)[ \t]{{1,3}})?{_CAP}"
                rf"(?:[ \t]{_CAP}){{0,3}},?[ \t]{{0,3}}(?:n[º°.]?[ \t]{{0,3}})?\d{{1,4}}\b"
                rf"{_EU_POST_CITY}?"), 0.8, _G_ES_IT),
    # A lone UK postcode or "City, ST 12345" is still a location that identifies a household.
    (re.compile(rf"(?<![\w]){_UK_POSTCODE}(?![\w])"), 0.7, ()),
    (re.compile(rf"(?<![\w])(?:{_CAP}[ \t]){{0,2}}{_CAP},[ \t]{{1,3}}(?:{_US_STATES})[ \t]{{1,3}}"
                rf"\d{{5}}(?:-\d{{4}})?(?![\w])"), 0.75, (",",)),
)  # fmt: skip


_ADDRESS_GATES = tuple(_gate_regex(gate) for _, _, gate in _ADDRESS_PATTERNS)


def find_addresses(text: str) -> Iterator[Hit]:
    lower = text.lower()
    for (pattern, confidence, _), gate in zip(_ADDRESS_PATTERNS, _ADDRESS_GATES, strict=True):
        if gate is not None and gate.search(lower) is None:
            continue
        for m in pattern.finditer(text):
            end = m.end()
            while end > m.start() and text[end - 1] in " \t,":
                end -= 1
            yield Hit(m.start(), end, "street", confidence)
