"""Process-level plumbing: Temporal connections and the embedded servers used by default."""
