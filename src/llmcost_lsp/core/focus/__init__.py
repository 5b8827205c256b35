"""FOCUS (FinOps Open Cost and Usage Specification): export of estimates, import of actuals,
and the conformance rules both are checked against. See docs/focus.md."""
