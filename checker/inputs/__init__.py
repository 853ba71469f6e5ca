"""Reading inputs: discover files, decode and parse them into documents, unwrap them into Kubernetes
objects, and find the line and column of a path inside a document. The lowest layer: imports nothing of checker.
"""
