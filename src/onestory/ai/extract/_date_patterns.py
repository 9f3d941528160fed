"""Date vocabulary and patterns for ``dates``: weekday, month and number words (en, de, fr, es,
it) and the compiled regular expressions built from them. Data only; uses nothing but ``re``.
"""

from __future__ import annotations

import re
from collections.abc import Collection

# --- vocabulary ------------------------------------------------------------------------------

_WEEKDAYS: dict[str, int] = {}
for _index, _names in enumerate(
    (
        "monday montag lundi lunes lunedì lunedi maandag",
        "tuesday tue tues dienstag mardi martes martedì martedi dinsdag",
        "wednesday mittwoch mercredi miércoles miercoles mercoledì mercoledi woensdag",
        "thursday thu thur thurs donnerstag jeudi jueves giovedì giovedi donderdag",
        "friday fri freitag vendredi viernes venerdì venerdi vrijdag",
        "saturday samstag sonnabend samedi sábado sabado zaterdag",
        "sunday sonntag dimanche domingo domenica zondag",
    )
):
    for _name in _names.split():
        _WEEKDAYS[_name] = _index

_MONTHS: dict[str, int] = {}
for _index, _names in enumerate(
    (
        "january jan januar jänner janvier enero gennaio januari",
        "february feb februar février fevrier febrero febbraio februari",
        "march mar märz maerz mars marzo maart",
        "april apr avril abril aprile",
        "may mai mayo maggio mei",
        "june jun juni juin junio giugno",
        "july jul juli juillet julio luglio",
        "august aug août aout agosto augustus",
        "september sep sept septembre septiembre setiembre settembre",
        "october oct oktober octobre octubre ottobre",
        "november nov novembre noviembre",
        "december dec dezember décembre decembre diciembre dicembre",
    ),
    start=1,
):
    for _name in _names.split():
        _MONTHS[_name] = _index

_NUMBERS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "ein": 1,
    "eine": 1,
    "einem": 1,
    "einer": 1,
    "zwei": 2,
    "drei": 3,
    "vier": 4,
    "fünf": 5,
    "un": 1,
    "une": 1,
    "deux": 2,
    "trois": 3,
    "quatre": 4,
    "cinq": 5,
    "uno": 1,
    "dos": 2,
    "tres": 3,
    "cuatro": 4,
    "cinco": 5,
    "couple of": 2,
    "few": 3,
    "a few": 3,
    "a couple of": 2,
}


def _alt(words: Collection[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_WD = _alt(_WEEKDAYS)
_MON = _alt(_MONTHS)
_NUM = r"\d{1,3}|" + _alt(_NUMBERS)
_UNIT = (
    r"(?P<unit>business\sdays?|working\sdays?|days?|weeks?|hours?|hrs?|minutes?|mins?|months?|"
    r"werktagen|werktage|arbeitstagen|tagen|tage|tag|wochen|woche|stunden|stunde|minuten|"
    r"monaten|monat|jours?\souvrés|jours?\souvrables|jours?|semaines?|heures?|h|"
    r"días?\shábiles|dias?\shabiles|días?|dias?|semanas?|horas?|meses|mes|giorni|settimane|ore)"
)

_DAY = re.compile(
    rf"""(?x)
    (?<![\w/.\-])(?:
      (?P<dat>(?:the\s)?day\safter\stomorrow|übermorgen|après-demain|pasado\smañana|dopodomani)
    | (?P<tom>tomorrow|tmrw|tmr|morgen|demain|mañana|domani)
    | (?P<tod>today|tonight|heute|aujourd'hui|aujourd\u2019hui|ce\ssoir|hoy|oggi|stasera
        |this\s(?:morning|afternoon|evening))
    | (?P<yes>yesterday|gestern|ayer|ieri)
    | (?:(?P<wmod>this|next|coming|on|last|nächsten|nächster|kommenden|am|diesen|ce|el|este
        |próximo|el\spróximo)\s)?(?P<wd>{_WD})(?:\s(?P<wmod2>prochain|que\sviene))?
        (?:,?\s(?:the\s)?(?P<wdom>\d{{1,2}})(?:st|nd|rd|th)(?!\s(?:of\s)?(?:{_MON})(?![\w])))?
    | (?P<in>within\sthe\snext|in\sthe\snext|over\sthe\snext|within|in|inside|dans|sous|d'ici|en
        |innerhalb\svon|binnen|entro|tra|fra)
        \s(?P<n>{_NUM})(?:\s?(?:-|\u2013|to|bis|à|a)\s?(?P<n2>\d{{1,3}}))?\s{_UNIT}
    | (?P<eo>(?:the\s)?end\sof\s(?:the\s)?(?P<eonext>next\s)?(?:business\s)?
        (?P<eounit>day|week|month)
        |eod|eow|eom|cob|close\sof\s(?:business|play)|ende\sder\swoche|fin\sde\s(?:la\s)?semaine)
    | (?P<nw>(?P<nwmod>next|this|coming|nächste|diese|cette|esta|la\spróxima)\s
        (?P<nwunit>weekend|week|month|wochenende|woche|semaine|semana|mes|mois))
    | (?P<nw2>(?:la\s)?(?P<nwunit2>semaine|semana)\s(?:prochaine|que\sviene))
    | (?P<iso>\d{{4}}-\d{{2}}-\d{{2}})
    | (?P<num>\d{{1,2}}[/.]\d{{1,2}}(?:[/.](?:\d{{4}}|\d{{2}}))?)
    | (?P<dm>\d{{1,2}})(?:st|nd|rd|th|er|º|\.)?\s(?:of\s|de\s)?(?P<mon1>{_MON})\.?
        (?:,?\s(?P<y1>\d{{4}}))?
    | (?P<mon2>{_MON})\.?\s(?P<md>\d{{1,2}})(?:st|nd|rd|th)?(?![\d:])(?:,?\s(?P<y2>\d{{4}}))?
    | the\s(?P<dom>\d{{1,2}})(?:st|nd|rd|th)(?!\s(?:of\s)?(?:{_MON})(?![\w]))
    )(?![\w])
    """
)

# A clock time with a marker that makes it a time: "3pm", "15:30", "14h", "9 Uhr", "noon".
_T_STRICT = (
    r"(?:\d{1,2}(?:[:.]\d{2})?\s?(?:am|pm|a\.m\.|p\.m\.)|\d{1,2}:\d{2}|\d{1,2}h(?:\d{2})?"
    r"|\d{1,2}\s?uhr|noon|midday|midnight|mittag|midi|mediodía|mezzogiorno)"
)
# A loose clock time: also a bare hour, used only where the words make it a time.
_T = rf"(?:{_T_STRICT}|\d{{1,2}}(?:[.:]\d{{2}})?)"
_TIME = re.compile(
    rf"""(?x)
    (?<![\w:/.\-])(?:
      (?P<range>(?P<between>(?:between|from|zwischen|von|entre|de|dalle|tra\sle)\s)?
        {_T}\s?(?:-|\u2013|to|and|und|bis|et|à|a|y|alle|e)\s?{_T})
    | (?P<rel>(?P<relword>before|by|until|till|after|no\slater\sthan|vor|bis|nach|avant|après
        |antes\sde\slas|antes\sde|después\sde\slas|entro\sle)\s{_T_STRICT})
    | (?P<at>(?:at|um|à|a\slas|alle|around|gegen)\s(?:around\s)?{_T})
    | (?P<bare>{_T_STRICT})
    | (?P<part>(?:in\sthe\s)?(?:morning|afternoon|evening)|vormittags?|nachmittags?|abends
        |le\smatin|l'après-midi|le\ssoir|por\sla\s(?:mañana|tarde|noche)|di\smattina
        |nel\spomeriggio|di\ssera)
    )(?![\w%/])
    """
)
_T_TOKEN = re.compile(
    r"(?i)(?P<h>\d{1,2})(?:[:.h](?P<m>\d{2}))?\s?(?P<ap>am|pm|a\.m\.|p\.m\.)?"
    r"|(?P<word>noon|midday|midnight|mittag|midi|mediodía|mezzogiorno)"
)
_DEADLINE_BEFORE = re.compile(
    r"(?i)(?:\bby|\bbefore|\buntil|\btill|no\slater\sthan|latest\sby|at\sthe\slatest\sby|"
    r"\bbis(?:\sspätestens)?|spätestens(?:\sam|\sbis)?|\bavant|d'ici|antes\sdel?|para\sel|"
    r"\bentro)\s{1,3}(?:(?:the|this|next|on|am|le|el)\s{1,3})?$"
)
_PARTS = {
    "morning": (8, 12), "afternoon": (12, 17), "evening": (17, 21), "tonight": (17, 23),
    "vormittag": (8, 12), "nachmittag": (12, 17), "abends": (17, 21), "matin": (8, 12),
    "après-midi": (12, 17), "soir": (17, 21), "mañana": (8, 12), "tarde": (12, 19),
    "noche": (19, 23), "mattina": (8, 12), "pomeriggio": (12, 17), "sera": (17, 21),
}  # fmt: skip
_TONIGHT = ("tonight", "ce soir", "stasera")
_SINCE = re.compile(
    r"(?i)(?:\bsince|\bseit|\bdepuis|\bdesde|\bdal|\bda)\s{1,3}(?:(?:the|el|le)\s)?$"
)
_NO_YEAR_SLASH_CONTEXT = re.compile(
    r"(?i)(?:\bon|\bby|\bfrom|\buntil|\btill|\bbefore|\bafter|\bsince|\bdue|\bdated|\bam|\ble|"
    r"\bel|\bil|\bvom|\bbis|\bab|\bfür|\bdu|\bau|\bdel|\bal)\s{1,3}$"
)
_MAX_MENTIONS = 200
