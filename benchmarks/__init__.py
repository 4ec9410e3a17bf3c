"""Load benchmarks: the server against a bare-ASGI floor and a FastAPI + SQLAlchemy peer (`make bench`).

Nothing here is imported by the app or the tests; `python -m benchmarks.run` is the entry point. Modules
that the peer's separate virtualenv loads (`benchmarks.peers.*`, `benchmarks.load`) import nothing from
the project and nothing outside the standard library beyond their own declared packages.
"""
