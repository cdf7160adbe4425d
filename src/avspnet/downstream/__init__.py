"""The labelled side: splits, the recognition head, its fitting, segment voting and per-fold evaluation.

It consumes (n_segments, dim) vectors from any front-end of the registry
(`avspnet.frontends`); `avspnet.experiment` only orchestrates it.
"""
