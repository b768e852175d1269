"""Offline speech-to-text for call recordings (optional extra ``cpaas-engine[transcribe]``)."""
