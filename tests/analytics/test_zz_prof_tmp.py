import cProfile, pstats, pytest
from tests.analytics.test_product_recompute import shop, services, organization_scope, AS_OF_2  # noqa

def test_prof(shop):
    admin, accounts, rows = shop
    with organization_scope(admin.organization):
        pr = cProfile.Profile(); pr.enable()
        services.recompute(organization=admin.organization, as_of=AS_OF_2)
        pr.disable()
    pstats.Stats(pr).sort_stats("cumulative").print_stats(18)
