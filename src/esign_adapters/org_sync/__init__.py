"""Directory-sync connectors (OrgDirectory adapters), found through the ``esign.org_directories``
entry-point group."""
