"""nexusctl: the project's command line (demo, drift check, adopt, reports, verification)."""
