"""What test modules share, so no test module imports another: readers of the HTML the portal renders
(html.py) and the hostile query strings every list-like URL must survive (bad_input.py). Servers and
Chromium are started by bench/harness.py, which the bench scripts and docs/ use too."""
