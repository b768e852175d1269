"""Offline text-to-speech for call programs: espeak-ng (standard) and hibari (neural),
an on-disk clip cache, and the service that turns an utterance into files the PBX plays."""
