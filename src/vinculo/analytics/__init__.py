"""Analytical CRM: the Django app around the pure statistics library.

``vinculo.analytics.stats`` is the library (NumPy/SciPy, no Django import): customer summaries,
RFM, retention, buy-till-you-die models, CLV, cost to serve, segment migration and demand
forecasts. Beside it, this package holds the Django side: snapshots, recompute services, the
dashboard, the API and the management commands.
"""
