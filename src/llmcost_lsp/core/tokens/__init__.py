"""Token counting: shipped OpenAI vocabularies, optional exact backends, incremental chunks, cache.

Import the submodules you need (`registry`, `chunks`, `cache`); this package imports nothing heavy.
"""
