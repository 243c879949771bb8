"""PDF signing engine adapters: PAdES signing and validation with pyHanko, stamp positions with
pypdfium2, input screening in a resource-limited subprocess with pikepdf."""
