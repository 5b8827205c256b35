from pathlib import Path

# The package's files are read straight from this folder: importlib.resources costs ~15-40 ms
# of imports on every start, and llm-cost is never run from a zip.
DATA_DIR = Path(__file__).resolve().parent
