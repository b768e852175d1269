"""The local stack: PBX, simulated carrier, PostgreSQL and the engine, without Docker.

Used by ``make run|up|down`` and by the test suite. It is tooling for one machine, not part
of the daemon: the daemon never imports it.
"""
