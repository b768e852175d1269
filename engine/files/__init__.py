"""Each account's files (CSV contact lists, announcement WAVs): the store and its backends."""
