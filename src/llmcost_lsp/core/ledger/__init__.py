"""The runtime ledger: what every LLM call really cost, normalised, priced and stored.

`usage` turns any provider's usage shape into one `Usage`; `price` prices it with the estimate's
own price path; `store` keeps rows and rollups (SQLite, PostgreSQL); `recorder` is the
never-blocking `record(...)` that app processes call. Stdlib only; drivers are imported lazily.
"""
