"""Storage: the engine, the tables and their migrations."""
