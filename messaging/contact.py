"""Off-platform contact in a message (PRODUCT.md "Trust and safety"): e-mail addresses, phone numbers and
off-platform payment or chat handles, including the spellings people use to slip past a filter ("name at gmail
dot com", "0 7 9 4 6 ...", "wa.me/...", "nine one seven ...")."""

import re

_NUMBER_WORDS = {
    "zero": "0",
    "oh": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
}
_NUMBER_WORD = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b")

_EMAIL = re.compile(r"[a-z0-9._%+-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}")
# Spelled-out e-mail addresses need a real top-level domain after "dot", or every "at ... dot" would match.
_TLDS = r"(com|net|org|io|co|uk|de|fr|es|it|nl|ru|in|me|info|biz|dev|app|us|ca|au|br|pl|ch|se)"
_AT = r"\s*(?:@|\(\s*at\s*\)|\[\s*at\s*\]|\{\s*at\s*\}|<\s*at\s*>|\s+at\s+)\s*"
_DOT = r"\s*(?:\.|\(\s*dot\s*\)|\[\s*dot\s*\]|\{\s*dot\s*\}|<\s*dot\s*>|\s+dot\s+)\s*"
_SPELLED_EMAIL = re.compile(
    r"\b[a-z0-9._%+-]+" + _AT + r"[a-z0-9-]+(?:" + _DOT + r"[a-z0-9-]+)*" + _DOT + _TLDS + r"\b"
)
# A run of digits joined by single separators; 9 to 15 digits is a phone number (E.164 has at most 15).
_DIGIT_RUN = re.compile(r"\+?\(?\d(?:[\s().\-/]{0,2}\d)+")
_HANDLES = re.compile(
    r"\b(whats\s*app|wa\.me|t\.me|telegram|skype|viber|we\s*chat|discord|signal\s+(?:me|app)|"
    r"pay\s*pal|paypal\.me|venmo|cash\s*app|zelle|revolut|western\s+union|wise\.com|iban|swift\s+code)\b"
    r"|(?<![\w$])\$[a-z][a-z0-9_]{2,}"
)


def off_platform_contact(text: str) -> str | None:
    """What kind of off-platform contact `text` holds, in words for the sender ("an e-mail address"), or None."""
    lowered = text.lower()
    if _EMAIL.search(lowered) or _SPELLED_EMAIL.search(lowered):
        return "an e-mail address"
    digits_text = _NUMBER_WORD.sub(lambda m: _NUMBER_WORDS[m.group(1)], lowered)
    for run in _DIGIT_RUN.finditer(digits_text):
        if 9 <= sum(ch.isdigit() for ch in run.group()) <= 15:
            return "a phone number"
    if _HANDLES.search(lowered):
        return "an off-platform payment or chat handle"
    return None
