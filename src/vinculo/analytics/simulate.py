"""Old path of :mod:`vinculo.analytics.stats.simulate`, kept for ``sales/demo.py``.

The sales app (another owner) still imports the simulator from here; remove this module once it
imports ``vinculo.analytics.stats.simulate``.
"""

from vinculo.analytics.stats.simulate import (
    simulate_bgnbd,
    simulate_bgnbd_transactions,
    simulate_gamma_gamma,
)

__all__ = ["simulate_bgnbd", "simulate_bgnbd_transactions", "simulate_gamma_gamma"]
