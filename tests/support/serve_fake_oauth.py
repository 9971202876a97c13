"""`python -m tests.support.serve_fake_oauth URL serve ...`: a real `paa` process whose server reaches GitHub and
Google through the fake provider at URL (tests/support/fake_oauth.py), for the browser's sign-in in Chromium.

The server's `provider_http` is replaced here, in the test's own entry point; paa itself has no setting or variable
that points it at another provider (tests/security checks that none does).
"""

from __future__ import annotations

import sys


def main() -> None:
    import paa.api.routes.browser as browser
    from paa.cli.main import run
    from tests.support.fake_oauth import FakeOAuth

    fake = FakeOAuth(url=sys.argv.pop(1))
    browser.provider_http = fake.transport  # type: ignore[assignment]
    sys.argv[0] = "paa"
    run()


if __name__ == "__main__":
    main()
