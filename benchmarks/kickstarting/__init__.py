"""The kickstarting study on MinAtar-5: its runs (run.py), their variants
(variants.py) and records (records.py), the report (report.py) and its
tables (markdown.py)."""
