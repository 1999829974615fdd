"""Standing Nexus up (no REST kinds except the bootstrap): TLS material, the container, the
reverse proxy's files, the deployment check, and what clients are told (build.py, outputs.py)."""
