"""The analytics layer: Ibis expressions and the engine connection (DuckDB by default, Spark at scale).

It sits between ``core`` and the domains, and is the only package allowed to know which engine runs a
query. The first analytical module (promotion price audit) brings its engine wiring here.
"""
