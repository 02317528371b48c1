"""Parse fetched pages into records: per source, cached by the pages' content hashes."""

from __future__ import annotations

import hashlib
import importlib
import marshal
import pkgutil
from datetime import timedelta
from functools import lru_cache
from importlib import resources
from importlib.abc import InspectLoader
from types import ModuleType
from typing import Any

from prefect import Task, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.filesystems import LocalFileSystem
from prefect.settings import PREFECT_API_URL

import config
from lianxin import parsing
from lianxin.archive import content_hash
from lianxin.ingest.fetching import CrawlResult
from lianxin.ingest.pipeline import parse_fetched
from lianxin.ingest.regions import RegionTree
from lianxin.records import ParseResult
from tasks.common import settings


def parser_modules() -> list[ModuleType]:
    """Return the modules whose code turns pages into records, by name: the `lianxin.parsing`
    package with every module and sub-package below it, and the modules `parse_fetched` and
    the records come from, wherever they live."""
    names = {parsing.__name__, parse_fetched.__module__, ParseResult.__module__}
    found = pkgutil.walk_packages(parsing.__path__, f"{parsing.__name__}.")
    names.update(info.name for info in found)
    return [importlib.import_module(name) for name in sorted(names)]


def module_code(module: ModuleType) -> bytes:
    """Return the source of `module` as its loader gives it (a file, a wheel, a zip), or its
    compiled code where only that is shipped."""
    loader = module.__spec__.loader if module.__spec__ else None
    if not isinstance(loader, InspectLoader):
        raise RuntimeError(f"the parse cache cannot read the code of {module.__name__}")
    source = loader.get_source(module.__name__)
    if source is not None:
        return source.encode()
    return marshal.dumps(loader.get_code(module.__name__))


@lru_cache(maxsize=1)
def parser_fingerprint() -> str:
    """Return a hash of the code and column synonyms that turn pages into records.

    Part of every parse cache key: a new parser (or new synonyms) parses every page again.
    """
    digest = hashlib.sha256()
    for module in parser_modules():
        digest.update(module.__name__.encode() + b"\0" + module_code(module))
    digest.update(resources.files(config).joinpath("columns.toml").read_bytes())
    return digest.hexdigest()[:16]


def parse_cache_key(context: Any, parameters: dict[str, Any]) -> str | None:
    """Return the cache key of one source's parse: its pages' content hashes, not fetch times.

    The region tree is left out: each ingest adds the rosters' own villages to it, so keying on
    it would parse every unchanged page again after each new roster. A village new to the tree
    reaches cached pages when their cache expires (`parse_cache_days`) or with `lianxin reparse`.
    """
    crawl = parameters["crawl"]
    if not isinstance(crawl, CrawlResult):
        return None  # a failed fetch: nothing to cache
    digest = hashlib.sha256(parser_fingerprint().encode())
    for page in crawl.pages:
        for part in (page, *page.parts):
            fields = (part.url, part.kind, part.encoding or "", part.charset or "")
            digest.update("\x1f".join(fields).encode())
            digest.update(content_hash(part.content).encode())
        digest.update((page.referrer_title or "").encode())
    return f"parse-{crawl.source}-{digest.hexdigest()[:32]}"


@task(name="parse-source", cache_key_fn=parse_cache_key, persist_result=True)
def parse_source(
    crawl: CrawlResult | BaseException, tree: RegionTree | None = None
) -> list[ParseResult]:
    """Return the records of one source's pages; cached while its pages' bytes stay the same.

    `tree` is the deployment's region tree (`lianxin.ingest.regions.store_region_tree`): its towns
    and villages are places besides the national divisions.
    """
    if not isinstance(crawl, CrawlResult):
        return []
    regions = tree.regions if tree else ()
    results = [parse_fetched(page, regions) for page in crawl.pages if page.ok]
    get_run_logger().info(
        "%s: parsed %d pages, %d records, %d quarantined",
        crawl.source,
        len(results),
        sum(r.record_count for r in results),
        sum(len(r.quarantined) for r in results),
    )
    return results


def parse_task() -> Task[[CrawlResult | BaseException, RegionTree | None], list[ParseResult]]:
    """Return `parse_source` caching to this installation's data folder for `parse_cache_days`."""
    cfg = settings()
    if not cfg.parse_cache_days:
        return parse_source.with_options(cache_policy=NO_CACHE, persist_result=False)
    return parse_source.with_options(
        cache_expiration=timedelta(days=cfg.parse_cache_days),
        result_storage=_cache_storage(
            str(cfg.data_dir.resolve() / "parse-cache"), PREFECT_API_URL.value() or ""
        ),
    )


@lru_cache(maxsize=8)
def _cache_storage(folder: str, api: str) -> str:
    # Prefect wants result storage saved on the server: one block per cache folder and server.
    name = f"lianxin-parse-cache-{hashlib.sha256(folder.encode()).hexdigest()[:10]}"
    LocalFileSystem(basepath=folder).save(name, overwrite=True)
    return f"local-file-system/{name}"
