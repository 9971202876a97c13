"""Analytics: streaks, completion, habit strength, mood and engagement, computed from stored days.

The modules are pure except `load` (database reads) and `reports` (which ties reads to computations).
Import the submodule you need; this package imports nothing eagerly.
"""
