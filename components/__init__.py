"""Nexus registry as code: the client, the provider base, the kinds of Nexus objects (kinds/), the
stand-up (standup/) and the program (program.py); docs/DESIGN.md has the layers."""
from .legacy import install as _install_legacy_providers

_install_legacy_providers(__name__)  # states written before the kinds table pickled their providers by module path
