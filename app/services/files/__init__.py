"""Files: what an upload must be (uploads) and the stored documents of any entity that takes them
(documents). Rendered PDFs will live in a `pdf` package beside this one."""
