"""The scholarly services (arXiv, Semantic Scholar, OpenAlex, Crossref, doi.org) on one HTTP and
pacing layer (``http``), with title matching apart from them (``match``)."""
