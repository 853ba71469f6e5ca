"""Kubernetes and container-runtime knowledge as pure functions: capabilities, sysctls, users, ports,
shell words, $(VAR) expansion, listen addresses and mounted configs. No rule or fact knowledge.
"""
