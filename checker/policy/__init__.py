"""Policies: rule files and parameter declarations, their validation with file:line errors, rule
selection, and compilation of conditions into closures.
"""
