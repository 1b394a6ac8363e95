"""``$text``: MongoDB's text search over the fields of the collection's text index, vectorised.

The search string is parsed as MongoDB's ``FTSQueryImpl`` does: words are OR-ed; a word right after a
``-`` (preceded by whitespace) is negated; ``"quoted phrases"`` must all appear, and a negated phrase
must not. A document matches when it holds at least one positive term (phrase words count as terms),
no negated term, every phrase and no negated phrase. Terms are compared as the index stores them:
tokens split on MongoDB's delimiters (Unicode whitespace, dashes, quotes, punctuation; an apostrophe
stays inside English words), English stop words dropped from the search, Snowball English stems,
then case folded and diacritics stripped unless ``$caseSensitive``/``$diacriticSensitive``.
Phrases are substring matches on the raw text with the same case and diacritic folding.

Tokenising is Polars; only the distinct tokens of a batch are stemmed in Python (the vocabulary is
small next to the rows). Languages other than English and ``"none"`` are refused.
"""

from __future__ import annotations

import functools
import threading
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl
import snowballstemmer

from dashboard.store.embedded.query_paths import target
from dashboard.store.embedded.values import Ctx
from dashboard.store.errors import OperationFailure

__all__ = ["TextQuery", "parse_search", "text_predicate"]

_DELIMITERS = (
    r"\p{White_Space}\p{Dash}\p{Hyphen}\p{Quotation_Mark}\p{Terminal_Punctuation}"
    r"\p{Pattern_Syntax}\p{Sentence_Terminal}"
)
#: A token: a run of non-delimiters; English keeps apostrophes inside words ("don't").
_TOKEN = {"english": rf"(?:'|[^{_DELIMITERS}])+", "none": rf"[^{_DELIMITERS}]+"}

_ENGLISH = ("english", "en")
_NONE = ("none",)
#: Languages MongoDB's text search knows; the engine implements English and "none" only.
_MONGO_LANGUAGES = frozenset({
    "danish", "da", "dutch", "nl", "finnish", "fi", "french", "fr", "german", "de", "hungarian",
    "hu", "italian", "it", "norwegian", "nb", "portuguese", "pt", "romanian", "ro", "russian", "ru",
    "spanish", "es", "swedish", "sv", "turkish", "tr",
})  # fmt: skip

#: MongoDB's English stop words (src/mongo/db/fts/stop_words_english.txt).
_STOP_WORDS = frozenset(
    """
a about above after again against all am an and any are aren't as at be because been before
being below between both but by can't cannot could couldn't did didn't do does doesn't
doing don't down during each few for from further had hadn't has hasn't have haven't having
he he'd he'll he's her here here's hers herself him himself his how how's i i'd i'll i'm
i've if in into is isn't it it's its itself let's me more most mustn't my myself no nor not
of off on once only or other ought our ours ourselves out over own same shan't she she'd
she'll she's should shouldn't so some such than that that's the their theirs them
themselves then there there's these they they'd they'll they're they've this those through
to too under until up very was wasn't we we'd we'll we're we've were weren't what what's
when when's where where's which while who who's whom why why's with won't would wouldn't
you you'd you'll you're you've your yours yourself yourselves
""".split()  # noqa: SIM905
)

_stemmer = snowballstemmer.stemmer("english")
_stem_lock = threading.Lock()


@dataclass(frozen=True)
class TextQuery:
    """A parsed ``$search`` string: words and phrases, positive and negated, as written."""

    words: tuple[str, ...]
    negated_words: tuple[str, ...]
    phrases: tuple[str, ...]
    negated_phrases: tuple[str, ...]


def parse_search(search: str) -> TextQuery:
    """Split ``search`` into words and phrases with MongoDB's rules for ``-`` and ``"``."""
    words: list[str] = []
    negated: list[str] = []
    phrases: list[str] = []
    negated_phrases: list[str] = []
    in_negation = in_phrase = False
    quote = 0
    for kind, text, offset, after_space in _query_tokens(search):
        if kind == "text":
            if in_phrase and in_negation:
                continue
            if in_negation and after_space:
                in_negation = False
            (negated if in_negation else words).append(text)
        elif text == "-":
            if not in_phrase and after_space:
                in_negation = True
        elif in_phrase:
            (negated_phrases if in_negation else phrases).append(search[quote + 1 : offset])
            in_phrase = False
        else:
            in_phrase = True
            if in_negation and after_space:
                in_negation = False
            quote = offset
    return TextQuery(tuple(words), tuple(negated), tuple(phrases), tuple(negated_phrases))


_QUERY_SPACE = frozenset("\n\v\f\r ")


def _query_tokens(raw: str) -> list[tuple[str, str, int, bool]]:
    """``(kind, text, offset, preceded_by_whitespace)``: runs of text, and each ``-`` or ``"``."""
    out: list[tuple[str, str, int, bool]] = []
    pos, n = 0, len(raw)

    def skip_space() -> bool:
        nonlocal pos
        start = pos
        while pos < n and raw[pos] in _QUERY_SPACE:
            pos += 1
        return pos > start

    skip_space()
    after_space = True
    while pos < n:
        start = pos
        kind = "delimiter" if raw[pos] in '-"' else "text"
        pos += 1
        if kind == "text":
            while pos < n and raw[pos] not in _QUERY_SPACE and raw[pos] not in '-"':
                pos += 1
        token, token_after_space = raw[start:pos], after_space
        after_space = skip_space()
        out.append((kind, token, start, token_after_space))
    return out


@dataclass(frozen=True)
class _Options:
    language: str
    case_sensitive: bool
    diacritic_sensitive: bool


def text_predicate(spec: Any, ctx: Ctx) -> pl.Expr:
    """The ``$text`` condition as a boolean expression over the current frame."""
    search, options = _validate(spec, ctx)
    fields = _text_paths(ctx)
    query = parse_search(search)
    positive = _terms(" ".join(query.words), options)
    negative = _terms(" ".join(query.negated_words), options)
    if not positive:
        return pl.lit(False)
    texts = _texts(fields, ctx)
    out = _term_match(texts, positive, negative, options, ctx)
    for phrase in query.phrases:
        out = out & _phrase_match(texts, phrase, options)
    for phrase in query.negated_phrases:
        out = out & ~_phrase_match(texts, phrase, options)
    return out.fill_null(False)


def _validate(spec: Any, ctx: Ctx) -> tuple[str, _Options]:
    if ctx.element is not None:
        raise OperationFailure("$text is not allowed in this context", code=2)
    if not isinstance(spec, Mapping):
        raise OperationFailure("$text expects an object", code=2)
    extra = set(spec) - {"$search", "$language", "$caseSensitive", "$diacriticSensitive"}
    if extra:
        raise OperationFailure("extra fields in $text", code=2)
    search = spec.get("$search")
    if not isinstance(search, str):
        raise OperationFailure("$search requires a string value", code=14)
    language = spec.get("$language", "english")
    if not isinstance(language, str):
        raise OperationFailure("$language requires a string value", code=14)
    flags = []
    for name in ("$caseSensitive", "$diacriticSensitive"):
        value = spec.get(name, False)
        if not isinstance(value, bool):
            msg = f"{name} requires a boolean value"
            raise OperationFailure(msg, code=14)
        flags.append(value)
    lang = language.lower()
    if lang in _ENGLISH:
        lang = "english"
    elif lang not in _NONE:
        if lang in _MONGO_LANGUAGES:
            raise ctx.unsupported(f"$text with $language {language!r}")
        msg = f'unsupported language: "{language}" for text index version 3'
        raise OperationFailure(msg, code=17262)
    if not ctx.text_fields:
        raise OperationFailure("text index required for $text query", code=27)
    if "language" in ctx.schema and not ctx.fields_from_element:
        # MongoDB reads each document's "language" field as its language (language_override).
        raise ctx.unsupported("$text over documents with a 'language' field")
    return search, _Options(lang, flags[0], flags[1])


def _text_paths(ctx: Ctx) -> list[str]:
    if "$**" in ctx.text_fields:
        return _string_paths(ctx.schema, "")
    return list(ctx.text_fields)


def _string_paths(schema: Mapping[str, pl.DataType], prefix: str) -> list[str]:
    """Every path holding strings, for a wildcard text index (``{"$**": "text"}``)."""
    out: list[str] = []
    for name, dtype in schema.items():
        if name.startswith("$"):
            continue
        inner = dtype.inner if isinstance(dtype, pl.List) else dtype  # type: ignore[union-attr]
        if inner == pl.String:
            out.append(prefix + name)
        elif isinstance(inner, pl.Struct):
            fields = {f.name: f.dtype for f in inner.fields}
            out.extend(_string_paths(fields, f"{prefix}{name}."))
    return out


def _texts(paths: list[str], ctx: Ctx) -> pl.Expr:
    """Every string the indexed paths hold, per document, as one list."""
    lists: list[pl.Expr] = []
    for path in paths:
        t = target(path, ctx)
        if t.dtype != pl.String:
            continue
        if t.single is not None:
            lists.append(pl.concat_list([t.single]))
        elif t.array is not None:
            lists.append(t.array)
        elif t.values is not None:
            lists.append(t.values)
    if not lists:
        return pl.lit([], dtype=pl.List(pl.String))
    return pl.concat_list(lists).list.drop_nulls()


def _fold(e: pl.Expr, options: _Options) -> pl.Expr:
    """Case folding and diacritic stripping of raw text, as the phrase matcher does."""
    if not options.case_sensitive:
        e = e.str.to_lowercase()
    if not options.diacritic_sensitive:
        e = e.str.normalize("NFD").str.replace_all(r"\p{Mn}+", "").str.normalize("NFC")
    return e


def _phrase_match(texts: pl.Expr, phrase: str, options: _Options) -> pl.Expr:
    needle = pl.select(_fold(pl.lit(phrase, dtype=pl.String), options)).item()
    found = pl.element().pipe(_fold, options).str.contains(needle, literal=True)
    return texts.list.eval(found).list.any().fill_null(False)


def _terms(sentence: str, options: _Options) -> frozenset[str]:
    """The index keys of a search sentence's words (stop words dropped)."""
    tokens = pl.Series([sentence]).str.extract_all(_TOKEN[options.language]).to_list()[0]
    keys = {_key(w, options, stop_words=True) for w in tokens or []}
    return frozenset(k for k in keys if k is not None)


def _term_match(
    texts: pl.Expr,
    positive: frozenset[str],
    negative: frozenset[str],
    options: _Options,
    ctx: Ctx,
) -> pl.Expr:
    """At least one positive term and no negated one among each document's tokens.

    Stemming is Python's (Snowball), and no Python callback may run inside a query (see
    ``runtime_errors``), so the words of the stage's input are listed first and stemmed here: the
    query then looks each document's words up in the lists of words that stem to a search term.
    """
    frame = ctx.input_frame()
    if frame is None:
        raise ctx.unsupported("$text here (it must be the first stage's filter)")
    tokens = texts.list.join(" ")
    if not options.case_sensitive:
        tokens = tokens.str.to_lowercase()
    tokens = tokens.str.extract_all(_TOKEN[options.language])
    listed = frame.select(tokens.alias("w")).explode("w").drop_nulls().unique().collect()
    keys = {w: _key(w, options, stop_words=False) for w in listed.get_column("w").to_list()}

    def words_of(terms: frozenset[str]) -> pl.Series:
        return pl.Series([w for w, k in keys.items() if k in terms], dtype=pl.String)

    out = tokens.list.eval(pl.element().is_in(words_of(positive))).list.any().fill_null(False)
    if negative:
        hit = tokens.list.eval(pl.element().is_in(words_of(negative))).list.any()
        out = out & ~hit.fill_null(False)
    return out


def _key(word: str, options: _Options, *, stop_words: bool) -> str | None:
    """A token as the index stores it (None for a stop word of the search)."""
    lower = word.lower()
    if stop_words and options.language == "english" and lower in _STOP_WORDS:
        return None
    key = word if options.case_sensitive else lower
    if options.language == "english":
        key = _stem(key)
    if not options.diacritic_sensitive:
        key = _strip_diacritics(key)
    return key


@functools.lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    with _stem_lock:
        return str(_stemmer.stemWord(word))


@functools.lru_cache(maxsize=65536)
def _strip_diacritics(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word)
    kept = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return unicodedata.normalize("NFC", kept)
