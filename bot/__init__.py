"""paperbot: reviews pull requests to curated lists of scientific papers."""

__version__ = "0.1.0"
