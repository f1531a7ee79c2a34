"""Spanish as businesses in Spain print amounts: ``3.844,36 €`` (a dot between thousands;
Django's default since 5.0 is a no-break space, which invoices and spreadsheets here do not use)."""

DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "."
NUMBER_GROUPING = 3
