"""Prices: the schema of the price DB (`model`), loading it, resolving names and choosing the
rates in effect (`db`, `names`), its trust and freshness (`trust`, `keys`, `fetch`, `store`,
`freshness`), and how a release's DB is built (`build` and its sources). Import from the module
that holds a name; this package re-exports nothing.
"""
