"""Run paa as `python -m paa`."""

from paa.cli.main import run

if __name__ == "__main__":
    run()
