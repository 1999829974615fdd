"""A Nexus Repository 3 emulator: a real HTTP server that answers like Nexus's REST API.

It is the stand-in for a real Nexus on machines without Docker. Behaviour follows the
project's notes in docs/nexus-behaviour.md (status codes, error bodies, validation, references,
masked secrets, version and edition differences). Start it with `python -m tests.emulator`.
"""
