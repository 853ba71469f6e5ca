"""Workload views: where each kind keeps its pod template (the kind registry), normalized pod and
container views that map back to the real paths, CRD views (Spark), and the scan-wide object index.
"""
