"""Import and export of customer records: CSV, XLSX and vCard files, pages and API.

The same shape as an app: ``services.py`` (the import job), ``views.py``, ``forms.py``,
``api.py``, ``urls.py``; reading, mapping and writing an import live in ``tables``, ``mapping``,
``rows`` and ``running``; ``exporting`` and ``vcard`` write files.
"""
