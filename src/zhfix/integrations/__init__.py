"""Adapters that run zhfix inside data-processing frameworks.

Each adapter lives in its own module and imports its framework only when used,
so ``import zhfix`` never needs them:

- :mod:`zhfix.integrations.ray`: a callable class for Ray Data's
  ``Dataset.map_batches`` and the ``zhfix ray`` command (``pip install 'zhfix[ray]'``);
- :mod:`zhfix.integrations.datatrove`: a datatrove pipeline step that repairs
  ``Document.text`` (``pip install datatrove``).
"""
