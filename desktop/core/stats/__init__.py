"""Call quality: a sampled time series of network and audio figures, turn latencies, hints."""
