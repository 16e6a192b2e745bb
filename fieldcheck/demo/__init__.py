"""The demo district: a made-up city to try fieldcheck in (``fieldcheck demo``, ``fieldcheck seed-demo``).

- ``geo``: the district's geometry, communities and spots (pure: a seed in, plain data out);
- ``seed``: stages the district, the default checklist and calendar, and the demo accounts;
- ``activity``: a believable history of reports filed and moved through the real services.
"""

from .seed import DEMO_PASSWORD, demo_accounts, is_empty, seed_demo

__all__ = ["DEMO_PASSWORD", "demo_accounts", "is_empty", "seed_demo"]
