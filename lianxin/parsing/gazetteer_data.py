"""Build the gazetteer's data files from JioNLP's table of China's divisions.

JioNLP (Apache-2.0, github dongrixinyu/JioNLP) ships `dictionary/china_location.zip`: one
line a division, indented by level (province, city, county, town 乡镇街道, village 村社区),
taken from the National Bureau of Statistics' 统计用区划代码. Lianxin keeps only the names,
in two gzip files under `lianxin/parsing/data/`:

- `divisions.txt.gz`: three lines, `area`, `county`, `town`, each the level, a tab and its
  names separated by spaces (areas are provinces and prefectures: read, never reported);
- `villages.txt.gz`: one line a town name, a tab, and its villages (towns of one name in
  several counties share a line).

Rebuild with `python -m lianxin.parsing.gazetteer_data PATH/TO/china_location.zip` (from
`pip download jionlp`), and say the JioNLP version in data/README.md.
"""

from __future__ import annotations

import gzip
import sys
import zipfile
from collections import defaultdict
from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"
DIVISIONS = DATA_DIR / "divisions.txt.gz"
VILLAGES = DATA_DIR / "villages.txt.gz"
TOWN_SUFFIXES = ("镇", "乡", "街道", "苏木")
_LEVELS = ("area", "area", "county", "town", "village")  # by indentation depth


def read_jionlp(source: Path) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Return the names by level and the villages by town in JioNLP's china_location.zip."""
    with zipfile.ZipFile(source) as archive:
        text = archive.read("china_location.txt").decode("utf-8")
    names: dict[str, set[str]] = defaultdict(set)
    villages: dict[str, set[str]] = defaultdict(set)
    town = ""
    for line in text.splitlines():
        depth = len(line) - len(line.lstrip("\t"))
        fields = line.strip().split("\t")
        name = fields[0] if fields else ""
        if not name or depth >= len(_LEVELS) or "市辖" in name or " " in name:
            continue
        level = _LEVELS[depth]
        if level == "village":
            villages[town].add(name)
            continue
        if level == "town":
            town = name
            if not name.endswith(TOWN_SUFFIXES):
                continue  # 农场, 开发区, 管委会: town-level units, but not read as places
        names[level].add(name)
    names["area"] -= names["county"]
    return names, villages


def write(names: dict[str, set[str]], villages: dict[str, set[str]]) -> None:
    """Write the two data files, names sorted so a rebuild shows as a small diff."""
    DATA_DIR.mkdir(exist_ok=True)
    lines = [f"{level}\t{' '.join(sorted(names[level]))}" for level in ("area", "county", "town")]
    DIVISIONS.write_bytes(gzip.compress("\n".join(lines).encode(), mtime=0))
    rows = [f"{town}\t{' '.join(sorted(v))}" for town, v in sorted(villages.items()) if town]
    VILLAGES.write_bytes(gzip.compress("\n".join(rows).encode(), mtime=0))


if __name__ == "__main__":
    write(*read_jionlp(Path(sys.argv[1])))
