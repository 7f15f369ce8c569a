"""Search terms, the same in Python and in the browser: folding, words, CJK pairs, file-name stems, shard hashes.

The term index is built here at build time and read by templates/assets/kbwiki.js, which tokenizes the
query with the same rules (tests/browser/test_search_shards.py runs both over tricky strings and compares).
"""

from __future__ import annotations

import re
import unicodedata

# Han, Hiragana, Katakana and Hangul, as Chromium's /\p{Script=…}/u matches them (tests compare every code point).
CJK_RANGES = (
    (0x1100, 0x11FF), (0x2E80, 0x2E99), (0x2E9B, 0x2EF3), (0x2F00, 0x2FD5), (0x3005, 0x3005), (0x3007, 0x3007),
    (0x3021, 0x3029), (0x302E, 0x302F), (0x3038, 0x303B), (0x3041, 0x3096), (0x309D, 0x309F), (0x30A1, 0x30FA),
    (0x30FD, 0x30FF), (0x3131, 0x318E), (0x31F0, 0x321E), (0x3260, 0x327E), (0x32D0, 0x32FE), (0x3300, 0x3357),
    (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xA960, 0xA97C), (0xAC00, 0xD7A3), (0xD7B0, 0xD7C6), (0xD7CB, 0xD7FB),
    (0xF900, 0xFA6D), (0xFA70, 0xFAD9), (0xFF66, 0xFF6F), (0xFF71, 0xFF9D), (0xFFA0, 0xFFBE), (0xFFC2, 0xFFC7),
    (0xFFCA, 0xFFCF), (0xFFD2, 0xFFD7), (0xFFDA, 0xFFDC), (0x16FE2, 0x16FE3), (0x16FF0, 0x16FF6), (0x1AFF0, 0x1AFF3),
    (0x1AFF5, 0x1AFFB), (0x1AFFD, 0x1AFFE), (0x1B000, 0x1B122), (0x1B132, 0x1B132), (0x1B150, 0x1B152),
    (0x1B155, 0x1B155), (0x1B164, 0x1B167), (0x1F200, 0x1F200), (0x20000, 0x2A6DF), (0x2A700, 0x2B81D),
    (0x2B820, 0x2CEAD), (0x2CEB0, 0x2EBE0), (0x2EBF0, 0x2EE5D), (0x2F800, 0x2FA1D), (0x30000, 0x3134A),
    (0x31350, 0x33479),
)
_CJK = "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in CJK_RANGES)
_CJK_RUN = re.compile(f"([{_CJK}]+)")
_WORD = re.compile(r"[^\W_]+")  # letters and digits of any script: JS's /[\p{L}\p{N}]+/gu
_ACCENTS = re.compile("[\u0300-\u036f]")
# Where a file name's words meet: "ConstitutionalAI" -> "Constitutional AI", "HTTPServer" -> "HTTP Server".
_CAMEL = re.compile(r"(?<=[^\W_])(?=[A-Z][a-z])|(?<=[a-z0-9])(?=[A-Z])")

PREFIX = 3  # terms are sharded by their first PREFIX characters; shorter query words read per-prefix summaries


def fold(text: str) -> str:
    """Compatibility forms, lower case, Latin accents removed: what search compares (kbwiki.js fold())."""
    if text.isascii():
        return text.lower()
    text = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", text).lower())
    return unicodedata.normalize("NFC", _ACCENTS.sub("", text))


def tokens(text: str) -> list[str]:
    """The words of `text`, folded; runs of CJK characters become overlapping pairs (kbwiki.js tokens())."""
    out: list[str] = []
    for word in _WORD.findall(fold(text)):
        if word.isascii():
            out.append(word)
            continue
        for part in _CJK_RUN.split(word):
            if not part:
                continue
            if _CJK_RUN.fullmatch(part):
                if len(part) == 1:
                    out.append(part)
                out += [part[i:i + 2] for i in range(len(part) - 1)]
            else:
                out.append(part)
    return out


def stem_words(stem: str) -> str:
    """A file name's stem with its words apart: camel case split (kebab and snake case split as words anyway)."""
    return _CAMEL.sub(" ", stem)


def shard_of(key: str, count: int) -> int:
    """Which of `count` shards holds `key`: FNV-1a over its code points (kbwiki.js shardOf())."""
    h = 0x811C9DC5
    for ch in key:
        h = ((h ^ ord(ch)) * 0x01000193) & 0xFFFFFFFF
    return h % count


def term_key(term: str) -> str:
    """The part of a term its shard is chosen by."""
    return term[:PREFIX]


# Field bits, as kbwiki.js FIELDS: title, aliases, tags, summary, text, file-name stem; HEAD marks the
# title's first word (only those pages can get the "title starts with the query" bonus).
TITLE, ALIASES, TAGS, SUMMARY, TEXT, STEM, HEAD = 1, 2, 4, 8, 16, 32, 64
FIELD_BITS = TITLE | ALIASES | TAGS | SUMMARY | TEXT | STEM
WEIGHTS = ((TITLE, 10), (ALIASES, 8), (TAGS, 5), (SUMMARY, 3), (TEXT, 1), (STEM, 8))


def field_weight(bits: int) -> float:
    """The best field's weight plus 0.5 for each further field (kbwiki.js fieldWeight())."""
    best, count = 0, 0
    for bit, weight in WEIGHTS:
        if bits & bit:
            count += 1
            best = max(best, weight)
    return best + 0.5 * (count - 1)


def page_terms(title: str, aliases: list[str], tags: list[str], summary: str, section: str, body: str,
               stem: str) -> dict[str, int]:
    """Every term of one page with the bits of the fields it is in. The stem counts only for words the title
    and aliases lack ("ConstitutionalAI" for a page titled "Constitutional AI"), so it changes no other ranking."""
    found: dict[str, int] = {}
    title_terms = tokens(title)
    for bit, text in ((TITLE, title), (ALIASES, " ".join(aliases)), (TAGS, " ".join(tags)), (SUMMARY, summary),
                      (TEXT, section + " " + body)):
        for term in (title_terms if bit == TITLE else tokens(text)):
            found[term] = found.get(term, 0) | bit
    for term in tokens(stem) + tokens(stem_words(stem)):
        if not found.get(term, 0) & (TITLE | ALIASES):
            found[term] = found.get(term, 0) | STEM
    if title_terms:
        found[title_terms[0]] |= HEAD
    return found
