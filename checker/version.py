"""The version of kubecheck, in one place: the package, the CLI and the SARIF tool record read it.
A leaf module: it imports nothing, so any layer may read it.
"""

__version__ = "0.1.0"
