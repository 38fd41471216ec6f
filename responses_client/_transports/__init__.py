"""Transports move request bodies out and typed events back; see ``base.Transport``."""
