"""Settings profiles: ``base`` (shared), ``dev`` (default), ``test`` and ``production``."""
