"""Domain errors: raised inside the pipeline, translated at the edge (CLI message, HTTP status)."""


class PatrimoineError(Exception):
    """Base class of every error the pipeline raises on purpose."""


class UnreadableDocument(PatrimoineError):
    """A file could not be turned into text; the message says why, for a staff member."""


class UnsupportedFileType(UnreadableDocument):
    """The file's type is not one the readers know."""


class EmptyDocument(UnreadableDocument):
    """The file was read but holds no text."""


class NotFound(PatrimoineError):
    """An identifier names nothing in the catalog."""


class ModelUnavailable(PatrimoineError):
    """A model named in the settings cannot be loaded offline."""


class AmbiguousName(PatrimoineError):
    """A name designates several actors (of different kinds): the kind must be given."""


class InvalidCuration(PatrimoineError):
    """A curation staff asked for cannot be applied: an unknown role, an actor merged into itself or into
    an actor of another kind, an empty name, a practice that the shipped taxonomy already has."""


class InvalidSearch(PatrimoineError):
    """Search parameters that cannot be read (a date that is not one, a page out of range…)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems  # (parameter, what is wrong with it)
        super().__init__("; ".join(f"{name}: {message}" for name, message in problems))


class InvalidAnnotations(PatrimoineError):
    """A file of labels cannot be compared with the gold data: a line that is not JSON or lacks its id or labels,
    an unknown label, an id given twice or absent from the gold data."""


class IndexUnavailable(PatrimoineError):
    """The Chroma server named by PATRIMOINE_CHROMA_URL does not answer."""


class InvalidSchedule(PatrimoineError):
    """A scheduled ingestion that cannot be set up: a bad cron or time zone, a missing path, no Prefect server."""
