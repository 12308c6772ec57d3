"""Observation: the figures Miviludes publishes, counted from the plaintext metadata
of DESIGN §3 (kind, domain, who writes, place, flags, statuses, dates). Nothing here
opens a ciphertext, and nothing here needs a key."""
