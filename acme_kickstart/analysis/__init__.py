"""Reading runs back: learning curves (curves.py), rliable statistics
(statistics.py) and plots (plotting.py). Suite scores are the suite's own
(environments/base.py, `Suite.score`)."""
