"""One router per area of paa, each a thin layer over core."""
