"""The dashboard's non-entity reads: charts (totals and per-day series per currency) and the global search."""
