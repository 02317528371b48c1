"""Serve the sample portal by hand: python -m lianxin.portal [--port N] [--write DIR]."""

from __future__ import annotations

import argparse
import time

from lianxin.portal.server import serve_portal
from lianxin.portal.site import build_site, write_site


def main(argv: list[str] | None = None) -> None:
    """Serve the portal until interrupted, or write it to a folder with --write."""
    parser = argparse.ArgumentParser(prog="python -m lianxin.portal", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--write", metavar="DIR", help="write the pages to DIR and exit")
    args = parser.parse_args(argv)
    site = build_site()
    if args.write:
        files = write_site(args.write, site)
        print(f"Wrote {len(files)} pages under {args.write}")
        return
    with serve_portal(args.host, args.port, site) as base_url:
        print(
            f"Sample portal of 云溪县 at {base_url} (listings: {base_url}index.html); Ctrl-C stops"
        )
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
