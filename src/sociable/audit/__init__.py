"""SMO audit: extract (HTML -> PageMeta), cards per network, rules, scores, reports, fixes.

Entry points: :func:`sociable.audit.engine.audit_page` for one page,
:class:`sociable.audit.score.SiteScore` to aggregate a stream of page reports.
"""
