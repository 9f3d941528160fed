"""Text features shared by the trainable classifiers: word + character TF-IDF, optionally
concatenated with dense sentence embeddings from an :class:`~onestory.ai.protocols.Embedder`.

Character n-grams make the models robust to typos, inflection and languages the training set
barely covers; word n-grams carry the explanations ("top contributing words").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.feature_extraction.text import TfidfVectorizer

from onestory.ai.protocols import Embedder

# Long messages are cut before featurising: the opening of a message carries its intent and
# this bounds the latency of a 100 KB paste.
MAX_CHARS = 2000

_CONTRACTIONS = (
    ("can't", "can not"),
    ("won't", "will not"),
    ("n't", " not"),
    ("'m", " am"),
    ("'re", " are"),
    ("'ve", " have"),
    ("'ll", " will"),
)
_DIGITS = re.compile(r"\d+")
_SPACES = re.compile(r"\s+")
TOKEN_PATTERN = r"(?u)\b\w+\b"


def normalize_text(text: str) -> str:
    """Lower-case, unify apostrophes, expand English contractions, map digit runs to ``0``."""
    text = unicodedata.normalize("NFKC", text[:MAX_CHARS]).lower().replace("\u2019", "'")
    for short, long in _CONTRACTIONS:
        text = text.replace(short, long)
    text = _DIGITS.sub("0", text)
    return _SPACES.sub(" ", text).strip()


class TextFeaturizer:
    """Fits and applies the feature pipeline; picklable without the embedder.

    The embedder is not saved with the model (it is large and comes from an installed
    package); :meth:`attach_embedder` reconnects it after loading.
    """

    def __init__(
        self,
        *,
        word_ngrams: tuple[int, int] = (1, 2),
        char_ngrams: tuple[int, int] = (2, 5),
        char_min_df: int = 2,
        embedder: Embedder | None = None,
        embedding_weight: float = 1.0,
    ) -> None:
        self.word = TfidfVectorizer(
            preprocessor=normalize_text,
            token_pattern=TOKEN_PATTERN,
            ngram_range=word_ngrams,
            sublinear_tf=True,
        )
        self.char = TfidfVectorizer(
            preprocessor=normalize_text,
            analyzer="char_wb",
            ngram_range=char_ngrams,
            sublinear_tf=True,
            min_df=char_min_df,
        )
        self.embedding_weight = embedding_weight
        self.embedder_name: str | None = embedder.name if embedder else None
        self._embedder = embedder
        self.n_word_features = 0
        self._vocab: NDArray[np.str_] | None = None

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_embedder"] = None
        return state

    @property
    def needs_embedder(self) -> bool:
        return self.embedder_name is not None

    @property
    def embedder(self) -> Embedder | None:
        return self._embedder

    def attach_embedder(self, embedder: Embedder) -> None:
        if self.embedder_name is not None and embedder.name != self.embedder_name:
            raise ValueError(
                f"model was trained with embedder {self.embedder_name!r}, got {embedder.name!r}"
            )
        self._embedder = embedder

    def fit_transform(
        self, texts: Sequence[str], embeddings: NDArray[np.float32] | None = None
    ) -> sp.csr_matrix:
        word = self.word.fit_transform(texts)
        char = self.char.fit_transform(texts)
        self.n_word_features = word.shape[1]
        self._vocab = None
        return self._stack(word, char, texts, embeddings)

    def transform(
        self, texts: Sequence[str], embeddings: NDArray[np.float32] | None = None
    ) -> sp.csr_matrix:
        word = self.word.transform(texts)
        char = self.char.transform(texts)
        return self._stack(word, char, texts, embeddings)

    def word_vocabulary(self) -> NDArray[np.str_]:
        # Building the name array costs ~1 ms per call on a 15k vocabulary; do it once.
        vocab: NDArray[np.str_] | None = self.__dict__.get("_vocab")
        if vocab is None:
            vocab = np.asarray(self.word.get_feature_names_out())
            self._vocab = vocab
        return vocab

    def known_word_count(self, texts: Sequence[str]) -> NDArray[np.int64]:
        """How many distinct known word n-grams each text contains (0 means: all unknown)."""
        matrix = self.word.transform(texts)
        return np.asarray(matrix.getnnz(axis=1), dtype=np.int64)

    def _stack(
        self,
        word: Any,
        char: Any,
        texts: Sequence[str],
        embeddings: NDArray[np.float32] | None,
    ) -> sp.csr_matrix:
        blocks = [word, char]
        if self.embedder_name is not None:
            if embeddings is None:
                if self._embedder is None:
                    raise RuntimeError(
                        f"model needs embedder {self.embedder_name!r}; call attach_embedder()"
                    )
                embeddings = self._embedder.encode([t[:MAX_CHARS] for t in texts])
            blocks.append(sp.csr_matrix(embeddings * self.embedding_weight))
        return sp.hstack(blocks, format="csr")
