"""Process-level plumbing: Temporal connections and the embedded servers used by default.

Importers name the module they need, so each command loads only its own dependencies.
"""

__all__ = ["binaries", "codec", "decisions", "keys", "memory", "object_store", "private_files", "signals", "temporal",
           "tls"]
