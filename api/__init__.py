"""FastAPI application (REST API and web pages). Nothing imports ``api``.

The application factory arrives with the service issue; this package exists now so that
the import contracts and the package layout named by the product owner hold from day one.
"""
