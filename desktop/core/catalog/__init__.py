"""What a provider offers (voices, models, faces, motions) and whether a key works.

Qt-free and asynchronous (aiohttp); failures come back as sentences, never exceptions.
"""

from desktop.core.catalog.keycheck import KeyCheck, check_key
from desktop.core.catalog.lists import Catalog, Choice, fetch_lists, static_catalog
from desktop.core.catalog.sources import CATALOGS, ListSource, ProviderCatalog, catalog_for

__all__ = [
    "CATALOGS",
    "Catalog",
    "Choice",
    "KeyCheck",
    "ListSource",
    "ProviderCatalog",
    "catalog_for",
    "check_key",
    "fetch_lists",
    "static_catalog",
]
