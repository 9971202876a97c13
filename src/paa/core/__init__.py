"""The domain of paa: pure functions and functions over a Context; no interface code."""
