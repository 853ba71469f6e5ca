"""The commands around the pipeline: scan output, fix, explain, the webhook and rule examples. Each
chooses its inputs and what to do with the report; the pipeline itself is api.py.
"""
