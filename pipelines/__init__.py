"""patrimoine: the capitalisation pipeline of the Fabrique des transitions."""

__version__ = "0.1.0"
