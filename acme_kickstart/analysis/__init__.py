"""Reading runs back: learning curves (curves.py), suite scores (scoring.py),
rliable statistics (statistics.py) and plots (plotting.py)."""
