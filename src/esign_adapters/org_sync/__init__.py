"""OA directories (:class:`esign_core.ports.org_directory.OrgDirectory` adapters), found through
the ``esign.org_directories`` entry-point group: DingTalk and WeCom over their HTTP APIs."""
