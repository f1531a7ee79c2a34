"""Analytical CRM library: customer summaries, RFM, retention, buy-till-you-die models, CLV,
cost to serve, segment migration and demand forecasts.

Pure NumPy/SciPy and deliberately free of Django, so that it can be tested against published
results and benchmarked on its own. Import the submodules directly, e.g.
``from vinculo.analytics.stats.bgnbd import BGNBD``.
"""
