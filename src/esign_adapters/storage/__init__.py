"""File storage backends behind the ``BlobStore`` port (manual 一.2.2 2)."""
