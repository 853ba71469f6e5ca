"""The validating admission webhook: an ASGI app served by uvicorn (app.py, server.py), reviews answered by
worker processes under a time budget (pool.py, worker.py), TLS reloaded from disk (tls.py), metrics and logs.

The decision itself is commands/admission.py, the code `kubecheck review` runs. Importing this package
loads nothing heavy: the server's libraries are imported by the modules that use them.
"""
