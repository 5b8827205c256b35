"""Optional capture integrations for the runtime ledger: each module imports its library
(LangChain, OpenTelemetry, the provider SDKs) only when it is imported itself."""
