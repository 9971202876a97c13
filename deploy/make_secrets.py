#!/usr/bin/env python3
"""Make the secret files paa's containers read (docs/deploy.md). Only Python's standard library: run it anywhere.

    python3 deploy/make_secrets.py compose   # ./secrets: the services' passwords, and paa's URLs for them
    python3 deploy/make_secrets.py k8s       # deploy/k8s/secrets/data.key: the data key every paa pod shares

A file that exists already is kept (a password the database was made with must not change under it); `--force`
replaces them. Each secret is one line. The folder is 0700: the files in it are readable by the containers' users
(compose mounts them as they are), and by nobody else on this machine.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_DIR = ROOT / "secrets"
K8S_DIR = ROOT / "deploy" / "k8s" / "secrets"
DATA_KEY_BYTES = 32  # AES-256-GCM, as paa.db.sealed uses
DATA_KEY_FORMAT = 1  # data.key's format (paa.core.encryption): {"format", "where": "file", "current", "keys"}


def new_password() -> str:
    """A random password of URL-safe characters only, so it goes into a URL as it is."""
    return secrets.token_hex(24)


def new_data_key() -> str:
    """A data key file as paa writes one when it keeps its keys in the file: one key, current."""
    kid = secrets.token_hex(4)
    key = base64.urlsafe_b64encode(os.urandom(DATA_KEY_BYTES)).decode("ascii")
    return json.dumps({"format": DATA_KEY_FORMAT, "where": "file", "current": kid, "keys": {kid: key}})


def compose_secrets() -> dict[str, str]:
    """compose.yaml's secret files: each service's password, and the URLs paa connects with."""
    postgres, redis = new_password(), new_password()
    return {
        "postgres_password": postgres,
        "db_url": f"postgresql+psycopg://paa:{postgres}@postgres:5432/paa",
        "redis_password": redis,
        "redis_url": f"redis://:{redis}@redis:6379/0",
        "grafana_admin_password": new_password(),  # the monitoring profile's Grafana
    }


def k8s_secrets() -> dict[str, str]:
    """The data key; the database's and Redis' URLs are the cluster's own (secrets/*.example show their form)."""
    return {"data.key": new_data_key()}


def write(folder: Path, values: dict[str, str], *, force: bool = False) -> list[Path]:
    """Write each secret into `folder` (0700); return the files written (existing ones are kept unless `force`)."""
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    written = []
    for name, value in values.items():
        path = folder / name
        if path.exists() and not force:
            continue
        path.unlink(missing_ok=True)
        # 0644 inside the 0700 folder: compose bind-mounts the file itself, and the container's user (not you) reads it
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(value + "\n")
        path.chmod(0o644)  # whatever the umask
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("target", choices=("compose", "k8s"))
    parser.add_argument("--dir", type=Path, help="Where to write them (default: ./secrets, or deploy/k8s/secrets).")
    parser.add_argument("--force", action="store_true", help="Replace files that exist (new passwords, a new key).")
    args = parser.parse_args(argv)
    if args.target == "compose":
        folder, values = args.dir or COMPOSE_DIR, compose_secrets()
    else:
        folder, values = args.dir or K8S_DIR, k8s_secrets()
    written = write(folder, values, force=args.force)
    for path in written:
        print(f"wrote {path}")
    kept = len(values) - len(written)
    if kept:
        print(f"kept {kept} existing file(s) in {folder} (--force replaces them)")
    if args.target == "k8s":
        for name in ("db-url", "redis-url"):
            if not (folder / name).exists():
                print(f"now write {folder / name} (its form: {name}.example)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
