"""paa's tests. Importing them first turns off bytecode files, here and in every child process: nothing the tests
run writes into src/ (tests/conftest.py checks it at the end of a run)."""

import os
import sys

sys.dont_write_bytecode = True  # before any test module imports paa
os.environ["PYTHONDONTWRITEBYTECODE"] = "1"  # inherited by xdist workers and by every subprocess a test starts
