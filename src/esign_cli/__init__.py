"""The ``esign`` command line."""
