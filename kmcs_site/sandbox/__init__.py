"""An in-repo fake of the providers KMCS talks to (SMS/알림톡, bank, Agit, inbound mail).

One process on loopback (``python manage.py kmcs_sandbox``, started by ``./bin/dev``) so that
the real adapters run end to end with nothing external: they speak the same HTTP protocols to
it as they would to the provider. The same server drives the integration tests (started on a
free port by a fixture) and the chaos run. Each provider lives in its own module with a
``ROUTES`` list; :mod:`kmcs_site.sandbox.server` mounts every module named in ``PROVIDERS``.
"""
