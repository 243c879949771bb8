"""Adapters behind the console's appearance and login pages: image processing for the logos
and login backgrounds (Pillow), the custom-CSS sanitizer (tinycss2) and dynamic tokens (pyotp,
segno)."""
