"""Indicator feeds (Echap, STIX 2) and the team catalogue, behind one API.

    from techsafe.signatures import load_indicators
    ind = load_indicators()
    hit = ind.match_package("com.example")   # SignatureHit | None

Modules: records (values), index (normalised look-up tables), echap / stix2 /
catalogue (parsers), store (installed feeds on disk), importer (`import`),
update (`update`, the only network code in techsafe), indicators (IndicatorSet).
"""

from techsafe.signatures.indicators import IndicatorSet, load_indicators
from techsafe.signatures.records import CATEGORIES, FeedError, FeedInfo, SignatureHit

__all__ = ["CATEGORIES", "FeedError", "FeedInfo", "IndicatorSet", "SignatureHit", "load_indicators"]
