"""One module per editor feature; each has `register(ls)` and keeps no state of its own."""
