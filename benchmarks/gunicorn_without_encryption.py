"""gunicorn settings for the benchmark's comparison run only: the portal's own settings,
with the sealing functions replaced by pass-through ones in each worker.

The receipt's Argon2id derivation is left in place: it is deliberate and is counted
separately. Never use this file to serve anything.
"""

from portal.gunicorn_conf import *  # noqa: F403


def post_worker_init(worker):
    import crypto

    def seal_item(key, place, data):
        return data

    def seal_chunks(key, place, chunks):
        yield b"".join(chunks)

    def grant_access(data_key, public_key, referral, group):
        return data_key

    def wrap_key(key, secret, *purpose):
        return secret

    crypto.seal_item = seal_item
    crypto.seal_chunks = seal_chunks
    crypto.grant_access = grant_access
    crypto.wrap_key = wrap_key
    worker.log.info("benchmark: encryption switched off in this worker")
