"""Results per segment, channel and campaign: what each asset obtained, as business data.

- :mod:`.observations`: the W3C Data Cube observations, their IRIs, checks and graphs;
"""
