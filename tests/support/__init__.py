"""What the tests share besides fixtures: fake servers, data builders, waiting, and running paa in a subprocess.

Test modules import from here, never from one another; fixtures live in the conftest.py files.
"""
