"""Task schedulers: what the job engine will run (statements, records and reports by e-mail), validated here."""
