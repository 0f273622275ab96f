"""GitHub's REST API: the only package that knows its URLs, JSON shapes and manners."""
