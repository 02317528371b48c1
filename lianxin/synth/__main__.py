"""Fill a store with synthetic data: python -m lianxin.synth --scale county --database-url URL."""

from __future__ import annotations

import argparse
import json
import sys

from lianxin.store.db import make_engine, migrate
from lianxin.synth.generate import generate
from lianxin.synth.geography import SCALES


def main(argv: list[str] | None = None) -> int:
    """Migrate the store at --database-url and generate one scale's data into it."""
    parser = argparse.ArgumentParser(prog="python -m lianxin.synth", description=__doc__)
    parser.add_argument("--scale", choices=sorted(SCALES), default="village")
    parser.add_argument("--database-url", required=True, help="e.g. sqlite:///var/bench/county.db")
    parser.add_argument("--months", type=int, default=6)
    parser.add_argument("--end-period", default="2026-11", help="YYYY-MM, generated up to its 8th")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    args = parser.parse_args(argv)
    engine = make_engine(args.database_url)
    migrate(engine)
    stats = generate(
        engine,
        args.scale,
        months=args.months,
        end_period=args.end_period,
        seed=args.seed,
        progress=not args.quiet,
    )
    engine.dispose()
    print(json.dumps(stats.as_dict(), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
