"""Spreadsheets for the batch import and the exports: safe reading of uploaded .xlsx/.xls
(:mod:`.reading`), templates, error workbooks and exports (:mod:`.writing`)."""
