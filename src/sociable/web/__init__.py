"""The web app: pages (Jinja2 + HTMX) and the REST API (/api/v1), one FastAPI app."""
