"""Contact and DND lists (pure): row validation, CSV reading, header detection, reports.

Nothing here does I/O: the services feed bytes and rows in, and take records (ready for
PostgreSQL's ``COPY``) and reports out. ``batch`` holds the functions that run in the
import's worker processes.
"""
