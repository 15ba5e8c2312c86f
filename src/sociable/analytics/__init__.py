"""Analytics: one set of Ibis expressions over the store (DuckDB by default, Spark at scale)."""
